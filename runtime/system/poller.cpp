#include "runtime/system/poller.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace sophia::runtime::system {

namespace {

/// Events reported per `epoll_wait`; more wait for the next round.
constexpr int max_events = 64;

} // namespace

poll_sink::~poll_sink() = default;

void poll_sink::flush() {
  // nop
}

poller::poller()
  : epfd_(epoll_create1(EPOLL_CLOEXEC)),
    wakefd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (epfd_ < 0 || wakefd_ < 0)
    throw std::runtime_error("poller: cannot create epoll/eventfd: errno "
                             + std::to_string(errno));
  epoll_event ev{};
  // Level-triggered and not one-shot: a wake-up stays pending until read.
  ev.events = EPOLLIN;
  ev.data.fd = wakefd_;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
}

poller::~poller() {
  stop_thread();
  close(wakefd_);
  close(epfd_);
}

bool poller::add(int fd, uint32_t events, std::shared_ptr<poll_sink> sink) {
  {
    std::lock_guard<std::mutex> guard{ mtx_ };
    sinks_[fd] = entry{ std::move(sink) };
  }
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.fd = fd;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0) return true;
  // A descriptor closed without `remove` and reused by the kernel.
  if (errno == EEXIST) return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
  return false;
}

bool poller::modify(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.fd = fd;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

bool poller::rearm(int fd, uint32_t events, std::shared_ptr<poll_sink> sink) {
  {
    std::lock_guard<std::mutex> guard{ mtx_ };
    sinks_[fd] = entry{ sink };
  }
  if (modify(fd, events)) return true;
  return errno == ENOENT && add(fd, events, std::move(sink));
}

void poller::remove(int fd) {
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  std::lock_guard<std::mutex> guard{ mtx_ };
  sinks_.erase(fd);
}

void poller::forget(int fd, const poll_sink* sink) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  if (auto i = sinks_.find(fd);
      i != sinks_.end() && i->second.sink.get() == sink)
    sinks_.erase(i);
}

bool poller::sync(int fd, entry& e) {
  auto want = e.suppressed ? 0u : e.wanted;
  if (want == e.registered) return true;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = fd;
  int rc = 0;
  if (want == 0) {
    rc = epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    // Not in the set is what was asked for.
    if (rc != 0 && errno == ENOENT) rc = 0;
  } else if (e.registered == 0) {
    rc = epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    // Still there from an earlier registration of the same number.
    if (rc != 0 && errno == EEXIST) rc = epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
  } else {
    rc = epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
    if (rc != 0 && errno == ENOENT) rc = epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  }
  if (rc == 0) e.registered = want;
  return rc == 0;
}

bool poller::watch(int fd, uint32_t events, std::shared_ptr<poll_sink> sink) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  auto& e = sinks_[fd];
  if (!e.level) e = entry{ nullptr, true };
  e.sink = std::move(sink);
  e.wanted = events;
  return sync(fd, e);
}

void poller::acted(int fd) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  auto i = sinks_.find(fd);
  if (i == sinks_.end() || !i->second.level) return;
  i->second.pending = false;
  i->second.suppressed = false;
  sync(fd, i->second);
}

void poller::unwatch_before_close(int fd) {
  std::lock_guard<std::mutex> guard{ mtx_ };
  sinks_.erase(fd);
}

int poller::wait_and_dispatch(int timeout_ms,
                              const std::function<void()>& woke) {
  epoll_event evs[max_events];
  int n = epoll_wait(epfd_, evs, max_events, timeout_ms);
  if (woke) woke();
  int reported = 0;
  // The sinks of this round, told to flush once it is reported; held, as
  // their owners may drop them meanwhile on another thread.
  std::shared_ptr<poll_sink> touched[max_events];
  int touched_n = 0;
  for (int i = 0; i < n; ++i) {
    auto fd = evs[i].data.fd;
    if (fd == wakefd_) {
      uint64_t count = 0;
      [[maybe_unused]] auto r = read(wakefd_, &count, sizeof(count));
      continue;
    }
    std::shared_ptr<poll_sink> sink;
    {
      std::lock_guard<std::mutex> guard{ mtx_ };
      // Removed after this round began: its owner no longer listens.
      if (auto j = sinks_.find(fd); j != sinks_.end()) {
        auto& e = j->second;
        if (!e.level) {
          sink = e.sink;
        } else if (!e.pending) {
          e.pending = true;
          sink = e.sink;
        } else {
          // Reported again before its owner acted: quiet until it has.
          e.suppressed = true;
          sync(fd, e);
        }
      }
    }
    if (!sink) continue;
    sink->ready(fd, evs[i].events);
    ++reported;
    auto end = touched + touched_n;
    if (std::find(touched, end, sink) == end)
      touched[touched_n++] = std::move(sink);
  }
  for (int i = 0; i < touched_n; ++i)
    touched[i]->flush();
  return reported;
}

void poller::wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto r = write(wakefd_, &one, sizeof(one));
}

void poller::start_thread() {
  thread_ = std::thread{ [this] {
    pthread_setname_np(pthread_self(), "sophia.poller");
    while (!stopping_.load(std::memory_order_acquire))
      wait_and_dispatch(-1);
  } };
}

void poller::stop_thread() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  wake();
  if (thread_.get_id() == std::this_thread::get_id())
    thread_.detach();
  else
    thread_.join();
}

} // namespace sophia::runtime::system
