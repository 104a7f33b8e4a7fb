#include "standin_process.hpp"

#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sophia::ai_test {

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

/// A control-API exchange with plain libcurl (not the client under test).
nlohmann::json exchange(const std::string& method,
                        const std::string& url,
                        const std::string& body = {}) {
  auto* h = curl_easy_init();
  std::string out;
  curl_slist* headers = curl_slist_append(nullptr, "content-type: application/json");
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

standin_process::standin_process(const std::string& name) {
  int out[2];
  int in[2];
  if (pipe(out) != 0 || pipe(in) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, in[1]);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  // Its per-request log lines would drown the test's output.
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::string script = std::string{ SOPHIA_SOURCE_DIR } + "/tests/standins/" + name;
  std::vector<std::string> args{ "node", script, "--exit-with-stdin" };
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto rc = posix_spawnp(&pid_, "node", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  if (rc != 0) {
    close(out[0]);
    throw std::runtime_error(std::string{ "cannot start node: " } + std::strerror(rc));
  }
  std::string line;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds{ 20 };
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  until - std::chrono::steady_clock::now()).count();
    pollfd p{ out[0], POLLIN, 0 };
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[128];
    auto n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  auto at = line.find("http://");
  if (at == std::string::npos) {
    this->~standin_process();
    throw std::runtime_error("the stand-in did not start: '" + line + "'");
  }
  url_ = line.substr(at, line.find('\n', at) - at);
}

standin_process::~standin_process() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
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
                                        const nlohmann::json& body) const {
  return exchange(method, url_ + path, body.is_null() ? std::string{} : body.dump());
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
