#include "redis_server.hpp"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "runtime/testing/ports.hpp"

namespace sophia::tests::integration {

namespace {

using namespace std::chrono_literals;

const std::string server_bin = "/usr/bin/redis-server";
const std::string cli_bin = "/usr/bin/redis-cli";

} // namespace

redis_server::redis_server() {
  char tmpl[] = "/tmp/sophia-redis-XXXXXX";
  if (!mkdtemp(tmpl))
    throw std::runtime_error("redis_server: mkdtemp failed");
  dir_ = tmpl;
  start();
}

redis_server::~redis_server() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool redis_server::answers() const {
  auto r = run({cli_bin, "-h", "127.0.0.1", "-p", std::to_string(port_),
                "ping"},
               5s);
  return r.exit_code == 0 && r.out.starts_with("PONG");
}

void redis_server::start() {
  // A port can be taken by something outside our locks between the
  // check and the bind: then try another.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (port_ == 0 || attempt > 0)
      port_ = runtime::testing::reserve_port();
    auto log = dir_ / "server.log";
    server_ = process::start({server_bin, "--port", std::to_string(port_),
                              "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", dir_.string(),
                              "--unixsocket", socket(), "--daemonize", "no"},
                             log);
    for (int i = 0; i < 200 && server_.is_running(); ++i) {
      if (answers())
        return;
      std::this_thread::sleep_for(50ms);
    }
    auto text = tail(log);
    bool bind_failed = text.find("Address already in use") != std::string::npos
                       || text.find("Could not create server TCP")
                            != std::string::npos;
    if (server_.is_running() || !bind_failed)
      throw std::runtime_error("redis_server: did not start:\n" + text);
  }
  throw std::runtime_error("redis_server: no port would bind");
}

void redis_server::stop() {
  if (server_.is_running()) {
    server_.signal(SIGTERM);
    if (!server_.wait(10s))
      server_.kill9();
  }
}

std::string redis_server::uri() const {
  return "redis://127.0.0.1:" + std::to_string(port_);
}

std::string redis_server::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{cli_bin, "-h", "127.0.0.1", "-p",
                                std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv, 30s);
  if (r.exit_code != 0)
    throw std::runtime_error("redis-cli: " + r.err);
  while (!r.out.empty() && r.out.back() == '\n')
    r.out.pop_back();
  return r.out;
}

} // namespace sophia::tests::integration
