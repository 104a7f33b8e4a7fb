// sophia-node: one process of a Sophia cluster (the composition root).
//
//   sophia-node --config FILE --node NAME     run node NAME of FILE
//   sophia-node --config FILE --check         validate FILE, print it
//   sophia-node --config FILE --stdio         an MCP edge on stdin/stdout
//
// Exit codes: 0 clean shutdown, 1 runtime failure, 2 bad command line or
// configuration (nothing is started), 3 the node's port is taken (nothing
// is started; a harness may retry on another port).

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <variant>

#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/edge/edge_service.hpp"
#include "gpu/device.hpp"
#include "nodes/roles.hpp"
#include "nodes/stdio_edge.hpp"
#include "runtime/config/loader.hpp"
#include "runtime/config/schema.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics/admin_server.hpp"
#include "runtime/metrics/families.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/node/node.hpp"
#include "runtime/supervision/exit_reason.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/system/setup.hpp"
#include "runtime/version.hpp"

namespace {

using namespace sophia::runtime;

/// The part of `--help` CLI11 does not write.
constexpr const char* help_footer = R"(
Modes:
  --node NAME    run node NAME of the cluster in FILE
  --check        validate FILE and print the effective configuration
  --stdio        an ephemeral MCP edge speaking newline-delimited JSON-RPC on
                 stdin/stdout (logs on stderr): not a cluster member, no port;
                 reaches the cluster through --node NAME or the first
                 reachable node

Signals: SIGHUP re-reads FILE (a bad file is rejected, the running
configuration kept); SIGTERM/SIGINT leave the cluster and exit.)";

struct args {
  std::string config;
  std::string node;
  bool check = false;
  bool stdio = false;
};

/// Whether `host:port` can be bound now; else why not. Checked before
/// anything starts, so that a taken port is exit code 3, not a half-started
/// node.
bool can_bind(const std::string& host, uint16_t port, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
      rc != 0) {
    why = ::gai_strerror(rc);
    return false;
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = false;
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ok = ::bind(fd, res->ai_addr, res->ai_addrlen) == 0;
    if (!ok) why = std::strerror(errno);
    ::close(fd);
  } else {
    why = std::strerror(errno);
  }
  ::freeaddrinfo(res);
  return ok;
}

/// Raises the open-files limit to its hard limit: every MCP connection
/// takes a file, and the default soft limit (often 1024) is far below
/// `[edge] max_connections`.
void raise_file_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 &&
      files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
}

int usage_error(const std::string& msg) {
  std::cerr << "sophia-node: " << msg << "\nRun `sophia-node --help` for usage.\n";
  return 2;
}

/// Waits for signals in the main thread (all threads block them) until the
/// node stops; SIGHUP reloads cluster.conf. Returns the exit code.
int serve(caf::actor_system& sys, const node::context& ctx) {
  auto log = log::get("node");
  std::atomic<bool> tree_done{ false };
  caf::error tree_reason;
  std::mutex mtx;
  caf::actor_cast<caf::abstract_actor*>(ctx.get().node_supervisor)
    ->attach_functor([&](const caf::error& reason) {
      std::lock_guard<std::mutex> guard{ mtx };
      tree_reason = reason;
      tree_done = true;
    });
  sigset_t set;
  sigemptyset(&set);
  for (int sig : { SIGHUP, SIGTERM, SIGINT })
    sigaddset(&set, sig);
  timespec poll{ 0, 100'000'000 };
  for (;;) {
    int sig = sigtimedwait(&set, nullptr, &poll);
    if (tree_done) {
      std::lock_guard<std::mutex> guard{ mtx };
      if (supervision::is_normal_exit(tree_reason)) {
        log->info("node stopped (left the cluster): exiting");
        return 0;
      }
      log->critical("node supervisor gave up: {}", sys.render(tree_reason));
      return 1;
    }
    if (sig == SIGHUP) {
      log->info("SIGHUP: reloading cluster.conf");
      caf::scoped_actor self{ sys };
      self
        ->request(ctx.get().membership,
                  std::chrono::seconds{ 10 },
                  atoms::reload::value)
        .receive([&](const std::string& summary) { log->info("{}", summary); },
                 [&](caf::error& err) {
                   log->error("reload failed: {}", sys.render(err));
                 });
    } else if (sig == SIGTERM || sig == SIGINT) {
      log->info("{}: leaving the cluster", strsignal(sig));
      node::stop(sys, ctx, true);
      return 0;
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  args a;
  CLI::App app{ "sophia-node: one process of a Sophia cluster.\n"
                "Exit codes: 0 clean shutdown, 1 runtime failure, 2 bad command "
                "line or configuration (nothing is started), 3 a port of the "
                "node is taken (nothing is started).",
                "sophia-node" };
  app.add_option("--config", a.config, "the cluster's cluster.conf")
    ->required()
    ->option_text("FILE");
  auto* node_opt = app.add_option("--node", a.node, "run node NAME of FILE")
                     ->option_text("NAME");
  auto* check = app.add_flag("--check", a.check,
                             "validate FILE and print the effective configuration "
                             "(secrets redacted)");
  auto* stdio = app.add_flag("--stdio", a.stdio,
                             "serve MCP on stdin/stdout, reaching the cluster "
                             "from outside (for MCP clients that start a process)");
  check->excludes(stdio);
  bool show_version = false;
  app.add_flag("--version", show_version, "print the version");
  bool show_reference = false;
  app.add_flag("--config-reference", show_reference,
               "print every key cluster.conf accepts (Markdown) and exit");
  (void) node_opt;
  app.footer(help_footer);
  try {
    // --version and --config-reference need no --config.
    for (int i = 1; i < argc; ++i) {
      if (std::string_view{ argv[i] } == "--version") {
        std::cout << "sophia-node " << version() << "\n";
        return 0;
      }
      if (std::string_view{ argv[i] } == "--config-reference") {
        std::cout << config::render_reference();
        return 0;
      }
    }
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    // A misspelled option is the cause of a missing requirement: name it.
    auto rest = app.remaining();
    if (!rest.empty() && e.get_name() == "RequiredError")
      return usage_error("unknown argument '" + rest.front() + "'");
    return usage_error(e.what());
  }
  auto loaded = config::load_or_report(a.config, a.node, std::cerr);
  if (!loaded) return 2;
  auto& cluster = *loaded;
  if (a.check) {
    std::cout << config::render_effective(cluster);
    std::cerr << a.config << ": ok (" << cluster.nodes.size() << " nodes)\n";
    return 0;
  }
  if (a.stdio) return sophia::nodes::run_stdio_edge(cluster, a.node);
  if (a.node.empty())
    return usage_error("--node NAME is required (or --check or --stdio)");
  // Block the signals before CAF starts its threads, so that only the main
  // thread's sigtimedwait() ever sees them.
  sigset_t set;
  sigemptyset(&set);
  for (int sig : { SIGHUP, SIGTERM, SIGINT })
    sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  log::init(a.node, cluster.log_level);
  auto log = log::get("node");
  raise_file_limit();
  if (const auto* me = cluster.find_node(a.node)) {
    std::string why;
    if (!can_bind(me->host, me->port, why)) {
      log->critical("cannot listen on {}: {}", me->endpoint(), why);
      return 3;
    }
  }
  // Before anything starts, like the node's own port: taken is exit code 3.
  std::unique_ptr<metrics::admin_server> admin;
  if (const auto* me = cluster.find_node(a.node); me && me->admin_port != 0) {
    auto started_admin = metrics::admin_server::start(me->host, me->admin_port);
    if (!started_admin) {
      log->critical("{}", sophia::runtime::detail_of(started_admin.error()));
      return 3;
    }
    admin = std::move(*started_admin);
    log->info("admin endpoint http://{}:{}/metrics (also /healthz, /readyz)",
              me->host, admin->port());
  }
  caf::actor_system_config cfg;
  system::prepare(cfg, cluster);
  caf::actor_system sys{ cfg };
  auto node_name = a.node;
  // Roles find this node's membership actor through the context, which
  // exists only once start() returns.
  auto started = std::make_shared<sophia::nodes::context_slot>();
  auto h = node::start(sys,
                       cluster,
                       a.node,
                       [node_name, cluster, started](
                         const std::string& role, const caf::actor& registry) {
                         return sophia::nodes::role_supervisor(
                           role, node_name, registry, cluster, [started] {
                             return started->membership();
                           });
                       });
  if (!h) {
    log->critical("{}", sys.render(h.error()));
    return 1;
  }
  started->set(*h);
  metrics::registry::global().set(
    metrics::build_info, { { "version", version() }, { "node", a.node } }, 1);
  const auto* me = cluster.find_node(a.node);
  log->info("node {} of cluster '{}' up on {} (pid {}, scheduler {}/{} "
            "threads, heartbeat {} ms, failure timeout {} ms)",
            a.node,
            cluster.name,
            me->endpoint(),
            getpid(),
            cluster.scheduler_policy,
            cluster.scheduler_threads,
            cluster.heartbeat_ms,
            cluster.failure_timeout_ms);
  auto gpus = sophia::gpu::probe();
  log->info("gpu backend={} devices={} nccl={}{}{}",
            gpus.backend,
            gpus.devices.size(),
            gpus.nccl_version,
            gpus.note.empty() ? "" : " note=",
            gpus.note);
  if (static_cast<size_t>(me->gpus) > gpus.devices.size())
    log->warn("cluster.conf gives node {} gpus = {}, but {} CUDA device(s) "
              "are usable: GPU roles fall back to the CPU backend",
              a.node,
              me->gpus,
              gpus.devices.size());
  auto rc = serve(sys, **h);
  sophia::actors::edge::await_drained(std::chrono::milliseconds{ 3000 });
  return rc;
}
