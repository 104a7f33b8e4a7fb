// The node's poller (one-shot and level-triggered reports, re-arming,
// removal, wake-ups) and
// Sophia's scheduler: actors run on it with one and two workers, a
// descriptor's report reaches its actor, and the system shuts down.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <sys/epoll.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "runtime/system/io_scheduler.hpp"
#include "runtime/system/poller.hpp"

using namespace sophia::runtime::system;
using namespace std::chrono_literals;

namespace {

using ready_atom = caf::atom_constant<caf::atom("ready")>;

/// Counts reports; used with the poller alone.
struct counter : poll_sink {
  std::atomic<int> reports{ 0 };
  std::atomic<uint32_t> last{ 0 };
  void ready(int, uint32_t events) override {
    last = events;
    ++reports;
  }
};

/// Forwards reports to an actor, as the HTTP client's sink does.
struct to_actor : poll_sink {
  caf::actor_addr owner;
  explicit to_actor(caf::actor_addr a) : owner(std::move(a)) {
  }
  void ready(int fd, uint32_t events) override {
    if (auto h = caf::actor_cast<caf::actor>(owner))
      caf::anon_send(h, ready_atom::value, fd, events);
  }
};

struct pipe_fds {
  int r = -1;
  int w = -1;
  pipe_fds() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~pipe_fds() {
    ::close(r);
    ::close(w);
  }
  void put() {
    REQUIRE(::write(w, "x", 1) == 1);
  }
};

} // namespace

TEST_CASE("a registration reports once until it is re-armed") {
  poller p;
  pipe_fds fds;
  auto sink = std::make_shared<counter>();
  REQUIRE(p.add(fds.r, EPOLLIN, sink));
  CHECK(p.wait_and_dispatch(0) == 0);
  fds.put();
  CHECK(p.wait_and_dispatch(1000) == 1);
  CHECK(sink->reports == 1);
  CHECK((sink->last & EPOLLIN) != 0);
  // Still readable, but one-shot: quiet until `modify`.
  CHECK(p.wait_and_dispatch(50) == 0);
  REQUIRE(p.modify(fds.r, EPOLLIN));
  CHECK(p.wait_and_dispatch(1000) == 1);
  CHECK(sink->reports == 2);
  p.modify(fds.r, EPOLLIN);
  p.remove(fds.r);
  CHECK(p.wait_and_dispatch(50) == 0);
  CHECK(sink->reports == 2);
}

TEST_CASE("a watched descriptor reports once until its owner acted") {
  poller p;
  pipe_fds fds;
  auto sink = std::make_shared<counter>();
  char byte;
  REQUIRE(p.watch(fds.r, EPOLLIN, sink));
  CHECK(p.wait_and_dispatch(0) == 0);
  fds.put();
  CHECK(p.wait_and_dispatch(1000) == 1);
  CHECK(sink->reports == 1);
  // Still readable and not acted on: never reported twice, however often
  // someone waits (as another worker would).
  CHECK(p.wait_and_dispatch(50) == 0);
  CHECK(p.wait_and_dispatch(50) == 0);
  CHECK(sink->reports == 1);
  // Acted without reading: level-triggered, so reported again.
  p.acted(fds.r);
  CHECK(p.wait_and_dispatch(1000) == 1);
  CHECK(sink->reports == 2);
  REQUIRE(::read(fds.r, &byte, 1) == 1);
  p.acted(fds.r);
  CHECK(p.wait_and_dispatch(50) == 0);
  // Still registered: new data is reported with no call in between.
  fds.put();
  CHECK(p.wait_and_dispatch(1000) == 1);
  CHECK(sink->reports == 3);
  REQUIRE(::read(fds.r, &byte, 1) == 1);
  p.acted(fds.r);
  // Events 0: silent, the entry kept; watched again, reported again.
  REQUIRE(p.watch(fds.r, 0, sink));
  fds.put();
  CHECK(p.wait_and_dispatch(50) == 0);
  REQUIRE(p.watch(fds.r, EPOLLIN, sink));
  CHECK(p.wait_and_dispatch(1000) == 1);
  CHECK(sink->reports == 4);
  REQUIRE(::read(fds.r, &byte, 1) == 1);
  p.acted(fds.r);
  // Forgotten before its close: the kernel drops it, nothing is reported.
  pipe_fds other;
  REQUIRE(p.watch(other.r, EPOLLIN, sink));
  other.put();
  p.unwatch_before_close(other.r);
  CHECK(p.wait_and_dispatch(50) == 0);
  CHECK(sink->reports == 4);
}

TEST_CASE("wake ends a wait at once, and the one after it when none runs") {
  poller p;
  bool woke = false;
  auto start = std::chrono::steady_clock::now();
  std::thread t{ [&p] {
    std::this_thread::sleep_for(50ms);
    p.wake();
  } };
  p.wait_and_dispatch(-1, [&woke] { woke = true; });
  t.join();
  CHECK(woke);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  p.wake();
  CHECK(p.wait_and_dispatch(10'000) == 0);
}

TEST_CASE("the poller's own thread reports, and stops") {
  poller p;
  pipe_fds fds;
  auto sink = std::make_shared<counter>();
  REQUIRE(p.add(fds.r, EPOLLIN, sink));
  p.start_thread();
  fds.put();
  for (int i = 0; i < 1000 && sink->reports == 0; ++i)
    std::this_thread::sleep_for(5ms);
  CHECK(sink->reports == 1);
  p.stop_thread();
}

TEST_CASE("a registration of a descriptor the kernel refuses fails") {
  poller p;
  CHECK_FALSE(p.add(-1, EPOLLIN, std::make_shared<counter>()));
}

namespace {

/// Runs actors on Sophia's scheduler with `threads` workers: a ping-pong,
/// and a pipe's report delivered to an actor, many times over.
void exercise(size_t threads) {
  caf::actor_system_config cfg;
  load_io_scheduler(cfg);
  cfg.set("scheduler.max-threads", threads);
  caf::actor_system sys{ cfg };
  auto io = scheduler_poller(sys);
  REQUIRE(io != nullptr);
  CHECK(node_poller(sys) == io);
  // Request and answer between actors.
  auto doubler = sys.spawn([]() -> caf::behavior {
    return { [](int x) { return 2 * x; } };
  });
  caf::scoped_actor self{ sys };
  for (int i = 0; i < 1000; ++i)
    self->request(doubler, 10s, i)
      .receive([&](int y) { REQUIRE(y == 2 * i); },
               [&](caf::error& e) { FAIL(sys.render(e)); });
  // A pipe watched by an actor, which reads and re-arms on each report.
  pipe_fds fds;
  constexpr int rounds = 500;
  auto reader = sys.spawn([&fds, io, self_addr = self->address()](
                            caf::event_based_actor* me) -> caf::behavior {
    io->add(fds.r, EPOLLIN, std::make_shared<to_actor>(me->address()));
    return {
      [=, &fds](ready_atom, int fd, uint32_t) {
        // No doctest assertions here: this runs on a worker thread.
        char c;
        auto n = static_cast<int>(::read(fd, &c, 1));
        io->modify(fd, EPOLLIN);
        caf::anon_send(caf::actor_cast<caf::actor>(self_addr), ready_atom::value,
                       n, uint32_t{ 0 });
      },
    };
  });
  for (int i = 0; i < rounds; ++i) {
    fds.put();
    bool got = false;
    self->receive([&](ready_atom, int n, uint32_t) { got = n == 1; },
                  caf::after(10s) >> [] {});
    REQUIRE(got);
  }
  io->remove(fds.r);
  caf::anon_send_exit(reader, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(doubler, caf::exit_reason::user_shutdown);
}

} // namespace

TEST_CASE("actors run on Sophia's scheduler with one worker") {
  exercise(1);
}

TEST_CASE("actors run on Sophia's scheduler with two workers") {
  exercise(2);
}

TEST_CASE("with another scheduler, actors share a poller with a thread") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  CHECK(scheduler_poller(sys) == nullptr);
  auto a = node_poller(sys);
  auto b = node_poller(sys);
  CHECK(a != nullptr);
  CHECK(a == b);
  pipe_fds fds;
  auto sink = std::make_shared<counter>();
  REQUIRE(a->add(fds.r, EPOLLIN, sink));
  fds.put();
  for (int i = 0; i < 1000 && sink->reports == 0; ++i)
    std::this_thread::sleep_for(5ms);
  CHECK(sink->reports == 1);
  a->remove(fds.r);
}

TEST_CASE("a worker that always has jobs still hears its sockets") {
  caf::actor_system_config cfg;
  load_io_scheduler(cfg);
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{ cfg };
  auto io = scheduler_poller(sys);
  REQUIRE(io != nullptr);
  // Two actors playing ping-pong keep the only worker's queue from ever
  // emptying (one actor sending to itself would never leave the worker
  // at all: CAF's throughput per turn is unlimited by default).
  using ball_atom = caf::atom_constant<caf::atom("ball")>;
  auto player = [](caf::event_based_actor* me) -> caf::behavior {
    return { [me](ball_atom, caf::actor other) {
      me->send(other, ball_atom::value,
               caf::actor_cast<caf::actor>(me->address()));
    } };
  };
  auto a = sys.spawn(player);
  auto b = sys.spawn(player);
  caf::anon_send(a, ball_atom::value, b);
  caf::scoped_actor self{ sys };
  pipe_fds fds;
  auto sink = std::make_shared<to_actor>(self->address());
  REQUIRE(io->add(fds.r, EPOLLIN, sink));
  fds.put();
  bool got = false;
  self->receive([&](ready_atom, int fd, uint32_t) { got = fd == fds.r; },
                caf::after(10s) >> [] {});
  CHECK(got);
  io->remove(fds.r);
  caf::anon_send_exit(a, caf::exit_reason::kill);
  caf::anon_send_exit(b, caf::exit_reason::kill);
}
