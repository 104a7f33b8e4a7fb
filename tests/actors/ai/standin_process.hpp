#pragma once

#include <string>

#include <memory>

#include <nlohmann/json.hpp>

#include "runtime/testing/node_script.hpp"

namespace sophia::ai_test {

/// A stand-in server of tests/standins in a child `node` process on a
/// loopback port the OS picked: standin.mjs (the services) by default, or
/// otlp_receiver.mjs (Arize's OTLP endpoint). It ends with this object, or
/// with this process (it watches its stdin).
class standin_process {
public:
  /// Starts `script` (relative to tests/standins); throws
  /// `std::runtime_error` when it does not come up.
  explicit standin_process(const std::string& script = "standin.mjs");
  standin_process(const standin_process&) = delete;
  standin_process& operator=(const standin_process&) = delete;

  /// "http://127.0.0.1:PORT".
  const std::string& url() const { return url_; }

  /// POST /_standin/scenario with `body` (see tests/standins/README.md).
  void scenario(const nlohmann::json& body) const;
  /// DELETE /_standin/scenario and /_standin/requests.
  void reset() const;
  /// The request log of `service`; only the requests to `path` (the
  /// service's own path, e.g. "/api/v1/chat/completions") when given.
  nlohmann::json requests(const std::string& service,
                          const std::string& path = {}) const;
  /// Any request: METHOD url() + path, with a JSON body and `headers`
  /// ("name: value"), e.g. a service's credential.
  nlohmann::json control(const std::string& method,
                         const std::string& path,
                         const nlohmann::json& body = nullptr,
                         const std::vector<std::string>& headers = {}) const;

private:
  std::unique_ptr<runtime::testing::node_script> node_;
  std::string url_;
};

} // namespace sophia::ai_test
