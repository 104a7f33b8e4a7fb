#include "actors/ai/errors.hpp"

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"

namespace sophia::actors::ai {

namespace {

constexpr size_t max_quoted = 300;

std::string clip(std::string text) {
  for (auto& ch : text)
    if (ch == '\n' || ch == '\r') ch = ' ';
  if (text.size() > max_quoted) text = text.substr(0, max_quoted) + "...";
  return text;
}

} // namespace

std::string message_of(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto e = j.find("error");
    if (e != j.end()) {
      if (e->is_string()) return clip(e->get<std::string>());
      if (e->is_object()) {
        auto m = e->find("message");
        if (m != e->end() && m->is_string()) return clip(m->get<std::string>());
      }
    }
    auto m = j.find("message");
    if (m != j.end() && m->is_string()) return clip(m->get<std::string>());
  }
  if (body.empty()) return "(empty body)";
  return clip(body);
}

std::string describe_status(const std::string& service,
                            const std::string& secret_ref,
                            const runtime::http::response& r) {
  auto text = service + ": HTTP " + std::to_string(r.status) + ": " +
              message_of(r.body);
  if (r.status == 401 || r.status == 403)
    text += " (check the secret of [services." + service + "] api_key" +
            (secret_ref.empty() ? std::string{} : ", " + secret_ref) + ")";
  else if (r.status == 429)
    text += " (rate limited; still so after " + std::to_string(r.attempts) +
            " attempt" + (r.attempts == 1 ? "" : "s") + "; try again later)";
  else if (r.status >= 500)
    text += " (the service failed; " + std::to_string(r.attempts) +
            " attempt" + (r.attempts == 1 ? "" : "s") + ")";
  return text;
}

std::string describe_error(const std::string& service, const caf::error& err) {
  using runtime::errc;
  auto detail = runtime::detail_of(err);
  if (detail.rfind(service, 0) != 0) detail = service + ": " + detail;
  switch (runtime::code_of(err)) {
    case errc::unavailable:
      return detail + " (the service is failing; Sophia stopped sending it "
                      "requests for a while)";
    case errc::deadline_exceeded:
      return detail + " (raise [services." + service +
             "] timeout_ms if the service is just slow)";
    case errc::unreachable:
      return detail + " (check [services." + service +
             "] base_url and the network)";
    default: return detail;
  }
}

} // namespace sophia::actors::ai
