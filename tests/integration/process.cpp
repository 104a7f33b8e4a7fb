#include "tests/integration/process.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sophia::tests::integration {

namespace {

using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

/// Exit code or 128 + signal, like a shell reports it.
int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

/// Where the child's stdout and stderr go: two descriptors that the child
/// dup2()s onto 1 and 2.
struct redirect {
  int out;
  int err;
};

/// fork + execv. Everything the child needs is prepared before fork(), so
/// that it only makes async-signal-safe calls (this process may have
/// threads). An exec failure travels back over a close-on-exec pipe, so that
/// a wrong path is an exception here rather than a puzzling exit code.
pid_t spawn(const std::vector<std::string>& argv, redirect to) {
  if (argv.empty()) throw std::runtime_error("process: empty argv");
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::array<int, 2> status_pipe;
  if (::pipe2(status_pipe.data(), O_CLOEXEC) != 0)
    throw std::runtime_error("process: pipe2: " +
                             std::string{ strerror(errno) });
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    auto err = errno;
    ::close(status_pipe[0]);
    ::close(status_pipe[1]);
    if (devnull >= 0) ::close(devnull);
    throw std::runtime_error("process: fork: " + std::string{ strerror(err) });
  }
  if (pid == 0) {
    // A test runner killed by ctest's timeout must not leave nodes running.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // The nodes block signals themselves; the child starts from a clean
    // mask and default dispositions whatever the test runner did.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : { SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGCHLD })
      ::signal(sig, SIG_DFL);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(to.out, STDOUT_FILENO);
    ::dup2(to.err, STDERR_FILENO);
    ::execv(args[0], args.data());
    int err = errno;
    [[maybe_unused]] auto n = ::write(status_pipe[1], &err, sizeof(err));
    ::_exit(127);
  }
  ::close(status_pipe[1]);
  if (devnull >= 0) ::close(devnull);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(status_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  ::close(status_pipe[0]);
  if (n == sizeof(child_errno)) {
    ::waitpid(pid, nullptr, 0);
    throw std::runtime_error("process: cannot execute " + argv[0] + ": " +
                             strerror(child_errno));
  }
  return pid;
}

} // namespace

process process::start(const std::vector<std::string>& argv,
                       const std::filesystem::path& log) {
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("process: cannot open " + log.string() + ": " +
                             strerror(errno));
  try {
    auto pid = spawn(argv, { fd, fd });
    ::close(fd);
    return process{ pid };
  } catch (...) {
    ::close(fd);
    throw;
  }
}

process::~process() {
  release();
}

process::process(process&& other) noexcept
  : pid_(std::exchange(other.pid_, -1))
  , exit_code_(std::exchange(other.exit_code_, std::nullopt)) {}

process& process::operator=(process&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = std::exchange(other.exit_code_, std::nullopt);
  }
  return *this;
}

void process::release() noexcept {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

void process::reap(bool block) {
  if (pid_ <= 0 || exit_code_) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_)
    exit_code_ = decode_status(status);
  else if (r < 0)
    exit_code_ = -1; // not our child any more: nothing left to wait for
}

bool process::signal(int sig) {
  reap(false);
  if (pid_ <= 0 || exit_code_) return false;
  return ::kill(pid_, sig) == 0;
}

void process::kill9() {
  if (signal(SIGKILL)) reap(true);
}

void process::stop() {
  signal(SIGSTOP);
}

void process::cont() {
  signal(SIGCONT);
}

std::optional<int> process::wait(milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    reap(false);
    if (exit_code_ || pid_ <= 0) return exit_code_;
    if (clock_type::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds{ 10 });
  }
}

bool process::is_running() {
  reap(false);
  return pid_ > 0 && !exit_code_;
}

run_result run(const std::vector<std::string>& argv, milliseconds timeout) {
  std::array<int, 2> out_pipe;
  std::array<int, 2> err_pipe;
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0)
    throw std::runtime_error("run: pipe2: " + std::string{ strerror(errno) });
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error("run: pipe2: " + std::string{ strerror(errno) });
  }
  pid_t pid;
  try {
    pid = spawn(argv, { out_pipe[1], err_pipe[1] });
  } catch (...) {
    for (int fd : { out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1] })
      ::close(fd);
    throw;
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  run_result result;
  std::array<pollfd, 2> fds{ { { out_pipe[0], POLLIN, 0 },
                               { err_pipe[0], POLLIN, 0 } } };
  std::array<std::string*, 2> sinks{ &result.out, &result.err };
  auto deadline = clock_type::now() + timeout;
  int open_fds = 2;
  // Read until both pipes close; after the timeout the child is killed,
  // which closes them (a grandchild holding them open is not expected).
  while (open_fds > 0) {
    auto left =
      std::chrono::duration_cast<milliseconds>(deadline - clock_type::now());
    if (!result.timed_out && left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
    }
    int wait_ms = result.timed_out ? 1000 : static_cast<int>(left.count()) + 1;
    int n = ::poll(fds.data(), fds.size(), wait_ms);
    if (n < 0 && errno != EINTR) break;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
        continue;
      char buf[4096];
      auto got = ::read(fds[i].fd, buf, sizeof(buf));
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& p : fds)
    if (p.fd >= 0) ::close(p.fd);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  result.exit_code = r == pid ? decode_status(status) : -1;
  return result;
}

std::string tail(const std::filesystem::path& file, size_t lines) {
  std::ifstream in{ file };
  if (!in) return "(cannot read " + file.string() + ")\n";
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (auto& l : last)
    out += l + '\n';
  return out;
}

} // namespace sophia::tests::integration
