#include "actors/pipeline/sources/process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sophia::actors::pipeline::sources {

namespace {

using clock = std::chrono::steady_clock;

std::string errno_text(const char* what, int err) {
  return std::string{what} + ": " + std::strerror(err);
}

/// Closes a descriptor once.
struct fd_guard {
  int fd = -1;
  ~fd_guard() { reset(); }
  void reset() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
};

/// Keeps the last `cap` bytes; trims in chunks so appends stay cheap.
void keep_tail(std::string& tail, const char* data, size_t n, size_t cap) {
  tail.append(data, n);
  if (tail.size() > 2 * cap)
    tail.erase(0, tail.size() - cap);
}

/// Waits for `pid` until `until`; true when reaped (status in `status`).
bool reap_until(pid_t pid, int& status, clock::time_point until) {
  for (;;) {
    auto r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR))
      return true; // ECHILD: someone reaped it; nothing left to wait for
    if (clock::now() >= until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

/// Stops the child's process group: SIGTERM, `grace`, SIGKILL; reaps it.
int stop(pid_t pid, std::chrono::milliseconds grace, bool& escalated) {
  ::kill(-pid, SIGTERM);
  int status = 0;
  if (reap_until(pid, status, clock::now() + grace)) {
    ::kill(-pid, SIGKILL); // what the group left behind
    return status;
  }
  escalated = true;
  ::kill(-pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

} // namespace

std::string run_result::describe() const {
  std::string out;
  if (timed_out)
    out = "timed out (stopped)";
  else if (stopped)
    out = "stopped by the pipeline";
  else if (signal != 0)
    out = "killed by signal " + std::to_string(signal) + " ("
          + (sigabbrev_np(signal) ? std::string{"SIG"} + sigabbrev_np(signal)
                                  : std::string{"?"})
          + ")";
  else
    out = "exit status " + std::to_string(exit_code);
  return out;
}

std::variant<run_result, std::string> run_command(const run_options& opts,
                                                  const line_handler& on_line) {
  if (opts.argv.empty() || opts.argv.front().empty())
    return std::string{"no command"};
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return errno_text("pipe", errno);
  fd_guard out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return errno_text("pipe", errno);
  fd_guard err_r{err_pipe[0]}, err_w{err_pipe[1]};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.fd, 2);
  // Only 0, 1 and 2: the node's sockets and files stay the node's.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so that a timeout stops what it started too;
  // signals as a fresh process has them (the node ignores SIGPIPE).
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT})
    sigaddset(&defaults, s);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                    | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (auto& a : opts.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  auto rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return "cannot run " + opts.argv.front() + ": " + std::strerror(rc);
  // Ours are the read ends only: EOF comes when the child closes its own.
  out_w.reset();
  err_w.reset();
  run_result res;
  auto deadline = clock::now() + opts.timeout;
  std::string line;
  bool overlong = false;
  std::vector<char> buf(64 * 1024);
  auto deliver = [&](std::string_view text) {
    if (!res.stopped && !on_line(text))
      res.stopped = true;
  };
  while ((out_r.fd >= 0 || err_r.fd >= 0) && !res.stopped) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock::now());
    if (left.count() <= 0) {
      res.timed_out = true;
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (out_r.fd >= 0)
      fds[n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0)
      fds[n++] = {err_r.fd, POLLIN, 0};
    auto ready = ::poll(fds, n, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR)
      break;
    for (nfds_t i = 0; i < n && ready > 0; ++i) {
      if (fds[i].revents == 0)
        continue;
      auto got = ::read(fds[i].fd, buf.data(), buf.size());
      if (got < 0 && errno == EINTR)
        continue;
      bool is_out = fds[i].fd == out_r.fd;
      if (got <= 0) {
        (is_out ? out_r : err_r).reset();
        continue;
      }
      if (!is_out) {
        keep_tail(res.stderr_tail, buf.data(), static_cast<size_t>(got),
                  opts.stderr_tail_bytes);
        continue;
      }
      const char* p = buf.data();
      const char* end = p + got;
      while (p < end && !res.stopped) {
        auto* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
        auto chunk_end = nl ? nl : end;
        if (!overlong) {
          auto room = opts.max_line_bytes + 1 - line.size();
          auto take = std::min<size_t>(room, chunk_end - p);
          line.append(p, take);
          overlong = line.size() > opts.max_line_bytes;
        }
        if (!nl)
          break;
        if (!line.empty() && line.back() == '\r')
          line.pop_back();
        deliver(line);
        line.clear();
        overlong = false;
        p = nl + 1;
      }
    }
  }
  if (!line.empty() && !res.stopped && !res.timed_out)
    deliver(line); // the last line without its newline
  int status = 0;
  bool escalated = false;
  if (res.timed_out || res.stopped) {
    status = stop(pid, opts.grace, escalated);
  } else if (!reap_until(pid, status, deadline)) {
    // Its pipes closed but it runs on: the deadline still holds.
    res.timed_out = true;
    status = stop(pid, opts.grace, escalated);
  }
  if (WIFEXITED(status)) {
    res.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    res.exit_code = -1;
    res.signal = WTERMSIG(status);
  }
  if (res.stderr_tail.size() > opts.stderr_tail_bytes)
    res.stderr_tail.erase(0, res.stderr_tail.size() - opts.stderr_tail_bytes);
  (void) escalated;
  return res;
}

std::variant<temp_file, std::string> temp_file::create(std::string_view label,
                                                       std::string_view text) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = (dir && *dir) ? dir : "/tmp";
  path += "/sophia-source-";
  path += label;
  path += "-XXXXXX";
  // mkstemp creates the file 0600, O_EXCL: nobody else can read or swap it.
  int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0)
    return errno_text(("cannot create a temporary file in " + path).c_str(), errno);
  temp_file f{path};
  fd_guard guard{fd};
  ::fchmod(fd, S_IRUSR | S_IWUSR);
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return errno_text(("cannot write " + path).c_str(), errno);
    done += static_cast<size_t>(n);
  }
  return f;
}

temp_file::temp_file(temp_file&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

temp_file& temp_file::operator=(temp_file&& other) noexcept {
  if (this != &other) {
    if (!path_.empty())
      ::unlink(path_.c_str());
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

temp_file::~temp_file() {
  if (!path_.empty())
    ::unlink(path_.c_str());
}

} // namespace sophia::actors::pipeline::sources
