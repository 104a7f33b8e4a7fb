#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

/// Waiting on file descriptors without a thread per actor.
namespace sophia::runtime::system {

/// Receives the readiness of the descriptors it was registered for. Called
/// on the thread that waits (a scheduler worker, or the poller's own
/// thread): it must be quick and must not block, typically it sends a
/// message to the actor that owns the descriptor.
class poll_sink {
public:
  virtual ~poll_sink();

  /// `fd` is ready for `events` (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR).
  virtual void ready(int fd, uint32_t events) = 0;

  /// Ends a round of reports: a sink may gather a round's `ready` calls
  /// and send them here as one message.
  virtual void flush();
};

/// An epoll set that never tells an owner twice about an event it has not
/// handled yet. Two kinds of registration:
/// - one-shot (`add`, `modify`, `rearm`): after a report the descriptor
///   stays quiet until its owner re-arms it, which costs an `epoll_ctl`;
/// - level-triggered (`watch`, `acted`): the descriptor stays registered,
///   and the owner says when it has acted on a report. Only when a report
///   comes again before that (another worker waited meanwhile) is it taken
///   out of the kernel's set until `acted`. A connection that serves request
///   after request then costs no `epoll_ctl` per request: on a 2-core VM the
///   re-arm was some 10 % of the HTTP client's throughput.
///
/// Who waits: the node's scheduler (see `io_scheduler.hpp`), whose idle
/// worker waits here instead of on a condition variable, so that an
/// actor's I/O costs no thread hand-off; or, where the actor system runs
/// another scheduler (tests, `stealing`), a thread of the poller's own
/// (`start_thread`). Every member is thread-safe.
class poller {
public:
  poller();
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;
  ~poller();

  /// Watches `fd` for `events` (EPOLLIN, EPOLLOUT), reporting to `sink`
  /// once. Returns false (errno set) when the kernel refuses.
  bool add(int fd, uint32_t events, std::shared_ptr<poll_sink> sink);

  /// Changes the events of `fd` and re-arms it.
  bool modify(int fd, uint32_t events);

  /// `modify`, or `add` when the kernel no longer has `fd` (closed and
  /// opened again since it was last reported).
  bool rearm(int fd, uint32_t events, std::shared_ptr<poll_sink> sink);

  /// Stops watching `fd` (before it is closed).
  void remove(int fd);

  /// Watches `fd` level-triggered for `events`, reporting to `sink`, or
  /// changes its events; 0 takes it out of the kernel's set and keeps the
  /// entry. Only what differs costs an `epoll_ctl`. Returns false (errno
  /// set) when the kernel refuses.
  bool watch(int fd, uint32_t events, std::shared_ptr<poll_sink> sink);

  /// The owner of the watched `fd` has acted on its last report: it may be
  /// reported again.
  void acted(int fd);

  /// Forgets the watched `fd`, which its owner closes next (closing takes
  /// it out of the kernel's set: no `epoll_ctl`).
  void unwatch_before_close(int fd);

  /// Forgets the sink of `fd`, closed meanwhile (which took it out of the
  /// kernel's set), unless the number was registered again for another.
  void forget(int fd, const poll_sink* sink);

  /// Waits up to `timeout_ms` (-1: until an event or `wake`) and reports
  /// what is ready; `woke`, when given, runs between the wait and the
  /// reports. Returns the number of descriptors reported. One thread at a
  /// time calls it.
  int wait_and_dispatch(int timeout_ms,
                        const std::function<void()>& woke = {});

  /// Makes a `wait_and_dispatch` in progress, or the next one, return.
  void wake();

  /// Runs `wait_and_dispatch` on a thread of its own until `stop_thread`.
  void start_thread();
  void stop_thread();

private:
  int epfd_ = -1;
  /// A registered descriptor.
  struct entry {
    std::shared_ptr<poll_sink> sink;
    /// Registered with `watch` (level-triggered), not one-shot.
    bool level = false;
    /// Level-triggered only: the events the owner wants, those in the
    /// kernel's set now (0: not in it), reported and not acted on yet,
    /// and reported again meanwhile (then out of the kernel's set).
    uint32_t wanted = 0;
    uint32_t registered = 0;
    bool pending = false;
    bool suppressed = false;
  };

  /// Brings the kernel's registration of the level-triggered `e` in line
  /// with what it should be; `mtx_` held.
  bool sync(int fd, entry& e);

  int wakefd_ = -1;
  std::mutex mtx_;
  std::unordered_map<int, entry> sinks_;
  std::atomic<bool> stopping_{ false };
  std::thread thread_;
};

} // namespace sophia::runtime::system
