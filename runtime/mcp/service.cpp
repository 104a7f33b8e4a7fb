#include "runtime/mcp/service.hpp"

#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include <caf/all.hpp>
#include <spdlog/logger.h>

#include "runtime/json/json_schema.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::runtime::mcp {

namespace {

using nlohmann::json;
using runtime::json::json_schema;

/// A tool with its schemas compiled once.
struct compiled_tool {
  tool def;
  json_schema input;
  std::optional<json_schema> output;
};

/// Sweep finished calls out of the table past this many entries.
constexpr size_t sweep_above = 256;

struct service_state {
  service_state() {
    // A user-declared constructor: C++20 would aggregate-initialise it.
  }

  std::string service;
  std::string descriptor;
  std::map<std::string, compiled_tool, std::less<>> tools;
  std::map<std::string, handler> methods;
  /// Calls still running, by call id, for `(cancel, id)`.
  std::multimap<std::string, std::weak_ptr<tool_call>> live;
  std::function<void(caf::event_based_actor*)> on_start;
  std::shared_ptr<spdlog::logger> log;

  static inline const char* name = "sophia.service";
};

using self_ptr = caf::stateful_actor<service_state>*;

json tool_json_impl(const tool& t) {
  json j = { { "name", t.name } };
  if (!t.title.empty()) j["title"] = t.title;
  j["description"] = t.description;
  j["inputSchema"] = json::parse(t.input_schema);
  if (!t.output_schema.empty())
    j["outputSchema"] = json::parse(t.output_schema);
  json hints = json::object();
  if (!t.title.empty()) hints["title"] = t.title;
  auto put = [&](const char* key, const std::optional<bool>& v) {
    if (v) hints[key] = *v;
  };
  put("readOnlyHint", t.hints.read_only);
  put("destructiveHint", t.hints.destructive);
  put("idempotentHint", t.hints.idempotent);
  put("openWorldHint", t.hints.open_world);
  if (!hints.empty()) j["annotations"] = std::move(hints);
  return j;
}

/// Compiles the schemas of `spec`; the error names the tool and the problem.
caf::expected<std::map<std::string, compiled_tool, std::less<>>>
compile(const service_spec& spec) {
  std::map<std::string, compiled_tool, std::less<>> out;
  auto bad = [&](const tool& t, const std::string& what) {
    return make_error(errc::bad_config,
                      spec.service + ": tool '" + t.name + "': " + what);
  };
  auto schema_of = [](const std::string& text,
                      std::string& err) -> std::optional<json_schema> {
    auto parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded()) {
      err = "not JSON";
      return std::nullopt;
    }
    auto compiled = json_schema::compile(parsed);
    if (auto* e = std::get_if<std::string>(&compiled)) {
      err = *e;
      return std::nullopt;
    }
    return std::get<json_schema>(std::move(compiled));
  };
  for (auto& t : spec.tools) {
    if (t.name.empty()) return bad(t, "the name is empty");
    if (!t.run) return bad(t, "no handler");
    std::string err;
    auto input = schema_of(t.input_schema, err);
    if (!input) return bad(t, "inputSchema: " + err);
    std::optional<json_schema> output;
    if (!t.output_schema.empty()) {
      output = schema_of(t.output_schema, err);
      if (!output) return bad(t, "outputSchema: " + err);
    }
    auto [i, added] =
      out.emplace(t.name, compiled_tool{ t, *input, std::move(output) });
    if (!added) return bad(t, "declared twice");
  }
  return out;
}

void remember(self_ptr self, const call_ptr& c) {
  auto& live = self->state.live;
  if (live.size() > sweep_above)
    for (auto i = live.begin(); i != live.end();) {
      auto p = i->second.lock();
      i = (!p || p->done()) ? live.erase(i) : std::next(i);
    }
  live.emplace(c->id(), c);
}

/// Runs a handler; an exception (a bug, or nlohmann's type errors) becomes
/// a tool error instead of killing the actor.
void run(self_ptr self, const handler& h, const call_ptr& c) {
  try {
    h(c);
  } catch (const std::exception& e) {
    self->state.log->error(
      "call={} {} '{}' threw: {}", c->id(), c->method(), c->name(), e.what());
    c->fail(self->state.service + ": internal error in '" + c->name() +
            "': " + e.what());
  }
}

std::string names_of(const service_state& st) {
  std::string out;
  for (auto& [name, t] : st.tools) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

caf::result<wire::buffer> handle(self_ptr self,
                                 const wire::buffer& buf,
                                 const caf::actor& channel) {
  auto& st = self->state;
  auto env = wire::decode_call_envelope(buf);
  if (!env) return env.error();
  auto params = env->payload.empty()
                  ? json::object()
                  : json::parse(env->payload, nullptr, false);
  if (params.is_discarded() || !params.is_object())
    return make_error(errc::rejected,
                      st.service + ": " + env->method +
                        ": the params are not a JSON object");
  auto start = [&](const handler& h,
                   std::string name,
                   const compiled_tool* t) -> caf::result<wire::buffer> {
    auto rp = self->make_response_promise<wire::buffer>();
    auto c = std::make_shared<tool_call>(self,
                                         st.service,
                                         env->method,
                                         std::move(name),
                                         env->trace_id,
                                         std::move(params),
                                         channel,
                                         rp);
    c->set_caller(env->caller);
    if (t != nullptr && t->output) {
      auto schema = *t->output;
      c->set_output_check(
        [schema](const json& out) { return schema.validate(out); });
    }
    remember(self, c);
    run(self, h, c);
    return rp;
  };
  if (env->method == "tools/call") {
    auto n = params.find("name");
    if (n == params.end() || !n->is_string())
      return make_error(errc::rejected,
                        st.service + ": tools/call: 'name' must be a string");
    auto name = n->get<std::string>();
    auto i = st.tools.find(name);
    if (i == st.tools.end())
      return make_error(errc::not_found,
                        st.service + " has no tool '" + name +
                          "' (it has: " + names_of(st) + ")");
    auto a = params.find("arguments");
    if (a != params.end() && !a->is_null() && !a->is_object())
      return make_error(errc::rejected,
                        "Invalid arguments for tool " + name +
                          ": arguments must be an object");
    static const json no_args = json::object();
    auto errors = i->second.input.validate(
      a == params.end() || a->is_null() ? no_args : *a);
    if (!errors.empty()) {
      std::string text = "Invalid arguments for tool " + name + ": ";
      for (size_t k = 0; k < errors.size(); ++k)
        text += (k > 0 ? "; " : "") + errors[k];
      return make_error(errc::rejected, std::move(text));
    }
    return start(i->second.def.run, name, &i->second);
  }
  auto m = st.methods.find(env->method);
  if (m == st.methods.end())
    return make_error(errc::not_found,
                      st.service + " does not serve '" + env->method + "'");
  auto name = params.value("name", params.value("uri", std::string{}));
  return start(m->second, std::move(name), nullptr);
}

caf::behavior service_impl(self_ptr self,
                           caf::actor registry,
                           service_spec spec,
                           std::map<std::string, compiled_tool, std::less<>>
                             tools) {
  auto& st = self->state;
  st.service = spec.service;
  st.log = runtime::log::get(spec.service);
  st.descriptor = descriptor_of(spec);
  st.tools = std::move(tools);
  st.methods = std::move(spec.methods);
  if (registry) {
    auto name = provider_name(st.service);
    self
      ->request(registry,
                caf::infinite,
                caf::put_atom::value,
                name,
                caf::actor_cast<caf::actor>(self))
      .then([](caf::ok_atom) {},
            [self, name](caf::error& err) {
              self->state.log->error(
                "cannot register {}: {}", name, self->system().render(err));
            });
  }
  if (spec.on_start) spec.on_start(self);
  caf::message_handler mcp_handlers{
    [=](describe) { return self->state.descriptor; },
    [=](atoms::call, const wire::buffer& buf) -> caf::result<wire::buffer> {
      return handle(self, buf, caf::actor{});
    },
    [=](atoms::call, const wire::buffer& buf, const caf::actor& channel)
      -> caf::result<wire::buffer> { return handle(self, buf, channel); },
    [=](cancel, const std::string& call_id) {
      auto [lo, hi] = self->state.live.equal_range(call_id);
      std::vector<call_ptr> calls;
      for (auto i = lo; i != hi; ++i)
        if (auto p = i->second.lock()) calls.push_back(std::move(p));
      self->state.live.erase(lo, hi);
      for (auto& c : calls) {
        self->state.log->info("call={} '{}' cancelled", call_id, c->name());
        c->cancel();
      }
    },
  };
  if (spec.handlers) return mcp_handlers.or_else(spec.handlers(self));
  return mcp_handlers;
}

} // namespace

json describe_tool(const tool& t) {
  return tool_json_impl(t);
}

std::string descriptor_of(const service_spec& spec) {
  json tools = json::array();
  for (auto& t : spec.tools) tools.push_back(describe_tool(t));
  json d = { { "service", spec.service },
             { "domain", spec.domain },
             { "prefix", spec.prefix.value_or(spec.service + ".") },
             { "tools", std::move(tools) },
             { "resources", spec.resources },
             { "resourceTemplates", spec.resource_templates },
             { "prompts", spec.prompts } };
  return d.dump();
}

caf::expected<caf::actor> spawn_service(caf::actor_system& sys,
                                        caf::actor registry,
                                        service_spec spec) {
  auto tools = compile(spec);
  if (!tools) return tools.error();
  return sys.spawn(
    service_impl, std::move(registry), std::move(spec), std::move(*tools));
}

} // namespace sophia::runtime::mcp
