#include "actors/conformance/fixtures.hpp"

#include <memory>
#include <utility>

#include <caf/all.hpp>
#include <spdlog/logger.h>

#include "actors/conformance/fixture_parts.hpp"
#include "runtime/log.hpp"

namespace sophia::actors::conformance {

namespace parts {

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json text_item(std::string text) {
  return { { "type", "text" }, { "text", std::move(text) } };
}

json image_item() {
  return { { "type", "image" },
           { "data", image_png },
           { "mimeType", "image/png" } };
}

json resource_item(std::string uri, std::string mime, std::string text) {
  return { { "type", "resource" },
           { "resource",
             { { "uri", std::move(uri) },
               { "mimeType", std::move(mime) },
               { "text", std::move(text) } } } };
}

std::optional<std::string> string_member(const mcp::call_ptr& c,
                                         const json& obj,
                                         const char* key,
                                         const std::string& where) {
  auto i = obj.find(key);
  if (i == obj.end()) {
    c->reject(runtime::errc::rejected,
              where + ": missing required string '" + key + "'");
    return std::nullopt;
  }
  if (!i->is_string()) {
    c->reject(runtime::errc::rejected,
              where + ": '" + key + "' must be a string, got " +
                i->type_name());
    return std::nullopt;
  }
  return i->get<std::string>();
}

} // namespace parts

caf::actor spawn_fixtures(caf::actor_system& sys,
                          caf::actor registry,
                          std::string domain) {
  auto st = std::make_shared<parts::fixture_state>();
  runtime::mcp::service_spec spec{ service_name, std::move(domain) };
  // The suite hard-codes the tool and prompt names: no prefix.
  spec.prefix = "";
  parts::add_tools(spec, st);
  parts::add_resources(spec, st);
  parts::add_prompts(spec);
  spec.on_start = [st](caf::event_based_actor* self) {
    parts::watch_channels(self, st);
  };
  spec.handlers = [st](caf::event_based_actor* self) {
    return parts::tool_handlers(self, st).or_else(
      parts::resource_handlers(self, st));
  };
  auto actor =
    runtime::mcp::spawn_service(sys, std::move(registry), std::move(spec));
  if (!actor) {
    // Only a broken declaration gets here (a schema that does not compile).
    runtime::log::get(service_name)
      ->error("cannot start the fixtures: {}", sys.render(actor.error()));
    return {};
  }
  return *actor;
}

} // namespace sophia::actors::conformance
