#include "actors/edge/http_checks.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "actors/edge/jsonrpc.hpp"
#include "actors/edge/protocol.hpp"
#include "runtime/config/cluster_config.hpp"

namespace sophia::actors::edge {

namespace {

namespace http = boost::beast::http;
namespace rpc = jsonrpc;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view x) {
  while (!x.empty() && (x.front() == ' ' || x.front() == '\t'))
    x.remove_prefix(1);
  while (!x.empty() && (x.back() == ' ' || x.back() == '\t'))
    x.remove_suffix(1);
  return x;
}

std::string_view view(boost::beast::string_view x) {
  return { x.data(), x.size() };
}

http_rejection reject(int status,
                      std::string text,
                      exchange::headers headers = {}) {
  auto code = status == 404 && text.starts_with("Session")
                ? rpc::session_not_found
                : rpc::server_error;
  return { status, rpc::error("null", code, text), std::move(headers) };
}

std::string domain_list() {
  std::string out;
  for (auto d : runtime::config::mcp_domains()) {
    if (!out.empty()) out += ", ";
    out += d;
  }
  return out;
}

} // namespace

bool accepts(std::string_view accept, std::string_view type) {
  if (accept.empty()) return false;
  auto slash = type.find('/');
  auto major = std::string{ type.substr(0, slash) } + "/*";
  size_t pos = 0;
  while (pos <= accept.size()) {
    auto comma = accept.find(',', pos);
    auto item = accept.substr(
      pos,
      comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    item = trim(item.substr(0, item.find(';')));
    if (iequals(item, type) || iequals(item, major) || item == "*/*")
      return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

http_verdict check_request(const http::request<http::string_body>& req,
                           const http_check_context& ctx) {
  // Route: /mcp, /mcp/DOMAIN (query strings are ignored).
  auto target = view(req.target());
  target = target.substr(0, target.find('?'));
  std::string domain{ ctx.port_domain };
  const auto& domains = runtime::config::mcp_domains();
  if (target == "/mcp" || target == "/mcp/") {
  } else if (target.starts_with("/mcp/") && ctx.port_domain.empty() &&
             std::find(domains.begin(), domains.end(), target.substr(5)) !=
               domains.end()) {
    domain = std::string{ target.substr(5) };
  } else {
    return reject(404,
                  "Not Found: MCP is served at /mcp and /mcp/DOMAIN (" +
                    domain_list() + ")");
  }
  // DNS-rebinding protection before anything else.
  if (ctx.origins != nullptr) {
    auto host = view(req[http::field::host]);
    if (!host_allowed(*ctx.origins, host))
      return reject(
        403, "Forbidden: Host '" + std::string{ host } + "' is not allowed");
    auto origin = view(req[http::field::origin]);
    if (!origin_allowed(*ctx.origins, origin))
      return reject(403,
                    "Forbidden: Origin '" + std::string{ origin } +
                      "' is not allowed");
  }
  auto in = std::make_shared<inbound>();
  in->client = "ip:" + std::string{ ctx.peer };
  if (ctx.keys != nullptr && !ctx.keys->empty()) {
    auto auth = view(req[http::field::authorization]);
    const auto* key = ctx.keys->authenticate(auth);
    if (key == nullptr)
      return reject(401,
                    auth.empty() ? "Unauthorized: an API key is required "
                                   "(Authorization: Bearer KEY)"
                                 : "Unauthorized: the API key is not valid",
                    { { "WWW-Authenticate",
                        auth.empty() ? R"(Bearer realm="sophia")"
                                     : R"(Bearer realm="sophia", )"
                                       R"(error="invalid_token")" } });
    in->key =
      std::make_shared<const std::pair<std::string, std::vector<std::string>>>(
        key->name, key->tools);
    in->client = "key:" + key->name;
  }
  auto version = view(req["MCP-Protocol-Version"]);
  if (!version.empty() && !protocol::supported(version))
    return reject(
      400,
      "Bad Request: Unsupported protocol version: " + std::string{ version } +
        " (supported versions: " + protocol::versions_text() + ")");
  in->protocol_version = std::string{ version };
  in->session = std::string{ view(req["Mcp-Session-Id"]) };
  in->domain = std::move(domain);
  auto acc = view(req[http::field::accept]);
  switch (req.method()) {
    case http::verb::post: {
      if (!accepts(acc, "application/json") ||
          !accepts(acc, "text/event-stream"))
        return reject(406,
                      "Not Acceptable: Client must accept both "
                      "application/json and text/event-stream");
      auto media = view(req[http::field::content_type]);
      media = trim(media.substr(0, media.find(';')));
      if (!iequals(media, "application/json"))
        return reject(415,
                      "Unsupported Media Type: Content-Type must be "
                      "application/json");
      auto body = nlohmann::json::parse(req.body(), nullptr, false);
      if (body.is_discarded())
        return http_rejection{ 400,
                               rpc::error("null",
                                          rpc::parse_error,
                                          "Parse error: the body is not "
                                          "valid JSON"),
                               {} };
      in->what = inbound::verb::post;
      in->body = std::move(body);
      break;
    }
    case http::verb::get:
      if (!accepts(acc, "text/event-stream"))
        return reject(406,
                      "Not Acceptable: Client must accept "
                      "text/event-stream");
      in->what = inbound::verb::get;
      in->last_event_id = std::string{ view(req["Last-Event-ID"]) };
      break;
    case http::verb::delete_: in->what = inbound::verb::del; break;
    default:
      return reject(405,
                    "Method Not Allowed: use POST, GET or DELETE",
                    { { "Allow", "GET, POST, DELETE" } });
  }
  return in;
}

} // namespace sophia::actors::edge
