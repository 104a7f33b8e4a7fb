#include "runtime/system/lazy_timer.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "runtime/system/poller.hpp"

namespace sophia::runtime::system {

lazy_timer::lazy_timer(std::shared_ptr<poller> io,
                       std::shared_ptr<poll_sink> sink)
  : io_(std::move(io)),
    fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  if (fd_ < 0)
    failure_ = std::strerror(errno);
  else
    io_->add(fd_, EPOLLIN, std::move(sink));
}

lazy_timer::~lazy_timer() {
  if (fd_ < 0) return;
  io_->remove(fd_);
  close(fd_);
}

void lazy_timer::expire_at(clock::time_point at) {
  wanted_ = at;
  if (!armed_ || *armed_ > at) program(at);
}

void lazy_timer::cancel() {
  wanted_.reset();
}

bool lazy_timer::fired() {
  uint64_t expirations = 0;
  // Nothing to read: the timer was set anew after it fired, and stays set.
  if (read(fd_, &expirations, sizeof(expirations)) > 0) armed_.reset();
  io_->modify(fd_, EPOLLIN);
  if (!wanted_) return false;
  if (*wanted_ <= clock::now()) {
    wanted_.reset();
    return true;
  }
  if (!armed_ || *armed_ > *wanted_) program(*wanted_);
  return false;
}

void lazy_timer::program(clock::time_point at) {
  // steady_clock is CLOCK_MONOTONIC on Linux: an absolute time does not
  // drift with the time it takes to get here.
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
              at.time_since_epoch())
              .count();
  if (ns <= 0) ns = 1; // 0 would disarm
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  if (timerfd_settime(fd_, TFD_TIMER_ABSTIME, &spec, nullptr) == 0)
    armed_ = at;
}

} // namespace sophia::runtime::system
