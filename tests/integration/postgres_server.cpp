#include "postgres_server.hpp"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include "runtime/testing/ports.hpp"

namespace sophia::tests::integration {

namespace {

using namespace std::chrono_literals;

const std::string bin = "/usr/lib/postgresql/15/bin/";

// argv run as `postgres` when we are root.
std::vector<std::string> as_postgres(std::vector<std::string> argv) {
  if (geteuid() != 0)
    return argv;
  std::vector<std::string> out{"/usr/bin/setpriv", "--reuid=postgres",
                               "--regid=postgres", "--init-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

} // namespace

postgres_server::postgres_server() {
  char tmpl[] = "/tmp/sophia-pg-XXXXXX";
  if (!mkdtemp(tmpl))
    throw std::runtime_error("postgres_server: mkdtemp failed");
  dir_ = tmpl;
  if (geteuid() == 0) {
    auto r = run({"/bin/chown", "postgres:postgres", dir_.string()}, 10s);
    if (r.exit_code != 0)
      throw std::runtime_error("postgres_server: chown: " + r.err);
  }
  auto init = run(as_postgres({bin + "initdb", "-D", (dir_ / "data").string(),
                               "-A", "trust", "-U", "sophia", "-E", "UTF8",
                               "--no-locale", "--no-sync"}),
                  120s);
  if (init.exit_code != 0)
    throw std::runtime_error("postgres_server: initdb failed: " + init.err);
  start();
}

void postgres_server::start() {
  // A port can be taken by something outside our locks between the
  // check and the bind: then try another.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (port_ == 0 || attempt > 0)
      port_ = runtime::testing::reserve_port();
    auto log = dir_ / "server.log";
    server_ = process::start(
      as_postgres({bin + "postgres", "-D", (dir_ / "data").string(), "-p",
                   std::to_string(port_), "-k", dir_.string(), "-c",
                   "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                   "full_page_writes=off", "-c", "max_connections=50"}),
      log);
    for (int i = 0; i < 300 && server_.is_running(); ++i) {
      auto r = run({bin + "pg_isready", "-q", "-h", "127.0.0.1", "-p",
                    std::to_string(port_)},
                   10s);
      if (r.exit_code == 0)
        return;
      std::this_thread::sleep_for(100ms);
    }
    auto text = tail(log);
    if (server_.is_running() || text.find("could not bind") == std::string::npos)
      throw std::runtime_error("postgres_server: did not start:\n" + text);
  }
  throw std::runtime_error("postgres_server: no port would bind");
}

void postgres_server::stop() {
  if (server_.is_running()) {
    server_.signal(SIGINT); // fast shutdown: sessions end, data is written
    if (!server_.wait(60s))
      server_.kill9();
  }
}

postgres_server::~postgres_server() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string postgres_server::uri() const {
  return "postgresql://sophia@127.0.0.1:" + std::to_string(port_)
         + "/postgres";
}

std::string postgres_server::psql(const std::string& sql) const {
  auto r = run({bin + "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-d", uri(), "-c", sql},
               60s);
  if (r.exit_code != 0)
    throw std::runtime_error("psql: " + r.err + " (" + sql + ")");
  while (!r.out.empty() && r.out.back() == '\n')
    r.out.pop_back();
  return r.out;
}

} // namespace sophia::tests::integration
