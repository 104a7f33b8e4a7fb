#include "standin_process.hpp"

#include <stdexcept>

#include <curl/curl.h>


namespace sophia::ai_test {

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

/// A control-API exchange with plain libcurl (not the client under test).
nlohmann::json exchange(const std::string& method,
                        const std::string& url,
                        const std::string& body = {},
                        const std::vector<std::string>& extra = {}) {
  auto* h = curl_easy_init();
  std::string out;
  curl_slist* headers = curl_slist_append(nullptr, "content-type: application/json");
  for (auto& x : extra)
    headers = curl_slist_append(headers, x.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  if (!body.empty()) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
  auto rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK || status != 200)
    throw std::runtime_error("stand-in control " + method + " " + url +
                             " failed: " + curl_easy_strerror(rc) + " " + out);
  return nlohmann::json::parse(out);
}

} // namespace

standin_process::standin_process(const std::string& name)
  : node_(std::make_unique<runtime::testing::node_script>(
      std::string{ SOPHIA_SOURCE_DIR } + "/tests/standins/" + name,
      std::vector<std::string>{ "--exit-with-stdin" })) {
  auto& line = node_->first_line();
  auto at = line.find("http://");
  if (at == std::string::npos)
    throw std::runtime_error("the stand-in " + name + " did not start: '" + line + "'");
  url_ = line.substr(at);
}

void standin_process::scenario(const nlohmann::json& body) const {
  exchange("POST", url_ + "/_standin/scenario", body.dump());
}

void standin_process::reset() const {
  exchange("DELETE", url_ + "/_standin/scenario");
  exchange("DELETE", url_ + "/_standin/requests");
}

nlohmann::json standin_process::control(const std::string& method,
                                        const std::string& path,
                                        const nlohmann::json& body,
                                        const std::vector<std::string>& headers) const {
  return exchange(method, url_ + path, body.is_null() ? std::string{} : body.dump(),
                  headers);
}

nlohmann::json standin_process::requests(const std::string& service,
                                         const std::string& path) const {
  auto all = exchange("GET", url_ + "/_standin/requests?service=" + service)["requests"];
  if (path.empty()) return all;
  auto out = nlohmann::json::array();
  for (auto& r : all)
    if (r.value("path", "") == path) out.push_back(r);
  return out;
}

} // namespace sophia::ai_test
