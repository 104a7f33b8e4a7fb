// The conformance fixtures' resources: static text and binary, the watched
// resource (an update ~100 ms after each subscribe) and the template
// test://template/{id}/data.

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include <caf/all.hpp>

#include "actors/conformance/fixture_parts.hpp"
#include "runtime/mcp/provider.hpp"

namespace sophia::actors::conformance::parts {

namespace {

using runtime::errc;

constexpr std::string_view static_text_uri = "test://static-text";
constexpr std::string_view static_binary_uri = "test://static-binary";
constexpr std::string_view watched_uri = "test://watched-resource";
constexpr std::string_view template_uri = "test://template/{id}/data";
constexpr std::string_view template_head = "test://template/";
constexpr std::string_view template_tail = "/data";

constexpr std::chrono::milliseconds update_delay{ 100 };

/// The id of `test://template/{id}/data`, or "" when `uri` is no instance.
std::string template_id(std::string_view uri) {
  if (uri.size() <= template_head.size() + template_tail.size()) return {};
  if (uri.substr(0, template_head.size()) != template_head) return {};
  if (uri.substr(uri.size() - template_tail.size()) != template_tail) return {};
  auto id =
    uri.substr(template_head.size(),
               uri.size() - template_head.size() - template_tail.size());
  if (id.find('/') != std::string_view::npos) return {};
  return std::string{ id };
}

bool subscribed_anywhere(const fixture_state& st, const caf::actor& channel) {
  for (auto& [uri, chans] : st.subscribers)
    if (std::find(chans.begin(), chans.end(), channel) != chans.end())
      return true;
  return false;
}

void read(const mcp::call_ptr& c) {
  auto uri = string_member(c, c->params(), "uri", "resources/read");
  if (!uri) return;
  json item = { { "uri", *uri } };
  if (*uri == static_text_uri) {
    item["mimeType"] = "text/plain";
    item["text"] = "This is the content of the static text resource.";
  } else if (*uri == static_binary_uri) {
    item["mimeType"] = "image/png";
    item["blob"] = image_png;
  } else if (*uri == watched_uri) {
    item["mimeType"] = "text/plain";
    item["text"] = "Watched resource content";
  } else if (auto id = template_id(*uri); !id.empty()) {
    // In the reference server's key order (an ordered object).
    nlohmann::ordered_json data = { { "id", id },
                                    { "templateTest", true },
                                    { "data", "Data for ID: " + id } };
    item["mimeType"] = "application/json";
    item["text"] = data.dump(
      -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  } else {
    return c->reject(errc::not_found, "resource not found: " + *uri);
  }
  c->reply_result({ { "contents", json::array({ item }) } });
}

} // namespace

bool is_resource(std::string_view uri) {
  return uri == static_text_uri || uri == static_binary_uri ||
         uri == watched_uri || !template_id(uri).empty();
}

void add_resources(mcp::service_spec& spec, const state_ptr& st) {
  spec.resources = json::array(
    { { { "uri", static_text_uri },
        { "name", "static-text" },
        { "title", "Static Text Resource" },
        { "description", "A static text resource for testing" },
        { "mimeType", "text/plain" } },
      { { "uri", static_binary_uri },
        { "name", "static-binary" },
        { "title", "Static Binary Resource" },
        { "description", "A static binary resource (image) for testing" },
        { "mimeType", "image/png" } },
      { { "uri", watched_uri },
        { "name", "watched-resource" },
        { "title", "Watched Resource" },
        { "description",
          "A resource that reports an update about 100 ms after each "
          "subscribe" },
        { "mimeType", "text/plain" } } });
  spec.resource_templates = json::array(
    { { { "uriTemplate", template_uri },
        { "name", "template" },
        { "title", "Resource Template" },
        { "description", "A resource template with parameter substitution" },
        { "mimeType", "application/json" } } });
  spec.methods["resources/read"] = read;
  // A subscription keeps the call's channel: the edge forwards what is sent
  // to it to the subscribed sessions.
  spec.methods["resources/subscribe"] = [st](const mcp::call_ptr& c) {
    auto uri = string_member(c, c->params(), "uri", "resources/subscribe");
    if (!uri) return;
    if (!is_resource(*uri))
      return c->reject(errc::not_found, "resource not found: " + *uri);
    if (const auto& channel = c->channel()) {
      auto& chans = st->subscribers[*uri];
      if (std::find(chans.begin(), chans.end(), channel) == chans.end()) {
        if (!subscribed_anywhere(*st, channel)) c->self()->monitor(channel);
        chans.push_back(channel);
      }
      if (*uri == watched_uri)
        c->self()->delayed_send(
          c->self(), update_delay, res_update::value, *uri, channel);
    }
    c->reply_result(json::object());
  };
  spec.methods["resources/unsubscribe"] = [st](const mcp::call_ptr& c) {
    auto uri = string_member(c, c->params(), "uri", "resources/unsubscribe");
    if (!uri) return;
    auto i = st->subscribers.find(*uri);
    if (const auto& channel = c->channel();
        channel && i != st->subscribers.end()) {
      auto& chans = i->second;
      chans.erase(std::remove(chans.begin(), chans.end(), channel),
                  chans.end());
      if (chans.empty()) st->subscribers.erase(i);
      if (!subscribed_anywhere(*st, channel)) c->self()->demonitor(channel);
    }
    c->reply_result(json::object());
  };
}

caf::message_handler resource_handlers(caf::event_based_actor* self,
                                       const state_ptr& st) {
  return {
    [self, st](res_update, const std::string& uri, const caf::actor& channel) {
      auto i = st->subscribers.find(uri);
      if (i == st->subscribers.end()) return;
      auto& chans = i->second;
      if (std::find(chans.begin(), chans.end(), channel) == chans.end()) return;
      json n = { { "jsonrpc", "2.0" },
                 { "method", "notifications/resources/updated" },
                 { "params", { { "uri", uri } } } };
      self->send(channel, mcp::notify::value, std::string{}, dump(n));
    },
  };
}

void watch_channels(caf::event_based_actor* self, const state_ptr& st) {
  // A channel that went down has no client left to notify.
  self->set_down_handler([st](caf::down_msg& dm) {
    auto& subs = st->subscribers;
    for (auto i = subs.begin(); i != subs.end();) {
      auto& chans = i->second;
      chans.erase(std::remove_if(chans.begin(),
                                 chans.end(),
                                 [&](const caf::actor& a) {
                                   return a.address() == dm.source;
                                 }),
                  chans.end());
      i = chans.empty() ? subs.erase(i) : std::next(i);
    }
  });
}

} // namespace sophia::actors::conformance::parts
