#include "runtime/config/secrets.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"

extern char** environ;

namespace sophia::runtime::config {

namespace {

constexpr std::string_view env_prefix = "env:";
constexpr std::string_view file_prefix = "file:";
constexpr std::string_view esc_prefix = "esc:";
/// The most output read from `esc` (an environment is a few KB).
constexpr size_t esc_max_output = size_t{ 4 } << 20;

bool starts_with(std::string_view x, std::string_view prefix) {
  return x.substr(0, prefix.size()) == prefix;
}

caf::error bad(std::string_view ref, std::string what) {
  return make_error(errc::bad_config, std::string{ ref } + ": " + what);
}

/// Whether `name` is an executable on PATH.
bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::stringstream dirs{ path };
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto full = (dir.empty() ? std::string{ "." } : dir) + "/" + name;
    if (::access(full.c_str(), X_OK) == 0) return true;
  }
  return false;
}

struct run_result {
  int status = -1;
  bool timed_out = false;
  std::string out;
  std::string err;
};

/// Runs `argv` without a shell, reading its stdout and stderr, killing it
/// when it runs past `timeout`.
caf::expected<run_result> run(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return make_error(errc::bad_config, "pipe failed");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return make_error(errc::bad_config, "pipe failed");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return make_error(errc::bad_config,
                      "cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  run_result r;
  auto until = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = { { out_pipe[0], POLLIN, 0 }, { err_pipe[0], POLLIN, 0 } };
  int open = 2;
  char buf[4096];
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (auto& p : fds) {
      if (p.fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
        continue;
      auto n = ::read(p.fd, buf, sizeof buf);
      if (n <= 0) {
        p.fd = -1;
        --open;
        continue;
      }
      auto& dst = p.fd == out_pipe[0] ? r.out : r.err;
      if (dst.size() < esc_max_output) dst.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// The first line of `text`, for error messages.
std::string first_line(const std::string& text) {
  auto line = text.substr(0, text.find('\n'));
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

caf::expected<std::string> resolve_esc(std::string_view ref,
                                       std::chrono::milliseconds timeout) {
  auto spec = ref.substr(esc_prefix.size());
  auto hash = spec.find('#');
  auto env = std::string{ spec.substr(0, hash) };
  auto path = hash == std::string_view::npos ? std::string{}
                                             : std::string{ spec.substr(hash + 1) };
  if (std::count(env.begin(), env.end(), '/') != 2 || path.empty())
    return bad(ref,
               "expected esc:ORG/PROJECT/ENV#path.to.value (e.g. "
               "esc:acme/ai/prod#openrouter.apiKey)");
  if (!on_path("esc"))
    return bad(ref,
               "the Pulumi ESC CLI `esc` is not installed or not on PATH; "
               "install it (https://www.pulumi.com/docs/esc/download-install/) "
               "and log in with `esc login`, or use env:VAR or file:PATH");
  auto r = run({ "esc", "env", "open", env, "--format", "json" }, timeout);
  if (!r) return bad(ref, detail_of(r.error()));
  if (r->timed_out)
    return bad(ref,
               "`esc env open " + env + "` did not finish within " +
                 std::to_string(timeout.count()) + " ms");
  if (r->status != 0)
    return bad(ref,
               "`esc env open " + env + "` failed (exit " +
                 std::to_string(r->status) + "): " + first_line(r->err));
  auto doc = nlohmann::json::parse(r->out, nullptr, false);
  if (doc.is_discarded())
    return bad(ref, "`esc env open " + env + "` printed no JSON");
  const nlohmann::json* at = &doc;
  std::stringstream parts{ path };
  std::string part;
  std::string walked;
  while (std::getline(parts, part, '.')) {
    walked += (walked.empty() ? "" : ".") + part;
    if (at->is_object() && at->contains(part)) {
      at = &(*at)[part];
    } else if (at->is_array() && !part.empty() &&
               part.find_first_not_of("0123456789") == std::string::npos &&
               std::stoul(part) < at->size()) {
      at = &(*at)[std::stoul(part)];
    } else {
      return bad(ref, "environment " + env + " has no value at '" + walked + "'");
    }
  }
  if (at->is_string()) return at->get<std::string>();
  if (at->is_number() || at->is_boolean()) return at->dump();
  return bad(ref, "the value at '" + path + "' is not a string but " +
                    at->type_name());
}

} // namespace

caf::expected<std::string> resolve_secret(std::string_view ref,
                                          std::chrono::milliseconds esc_timeout) {
  if (starts_with(ref, env_prefix)) {
    auto var = std::string{ ref.substr(env_prefix.size()) };
    if (var.empty()) return bad(ref, "names no environment variable");
    const char* value = std::getenv(var.c_str());
    if (value == nullptr || *value == '\0')
      return bad(ref, "the environment variable " + var + " is not set");
    return std::string{ value };
  }
  if (starts_with(ref, file_prefix)) {
    auto path = std::string{ ref.substr(file_prefix.size()) };
    if (path.empty()) return bad(ref, "names no file");
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      return bad(ref, "is a directory, not a file");
    std::ifstream in{ path, std::ios::binary };
    if (!in)
      return bad(ref, std::string{ "cannot read the file: " } + std::strerror(errno));
    std::string text{ std::istreambuf_iterator<char>{ in }, {} };
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
      text.pop_back();
    if (text.empty()) return bad(ref, "the file is empty");
    return text;
  }
  if (starts_with(ref, esc_prefix)) return resolve_esc(ref, esc_timeout);
  return std::string{ ref };
}

bool is_unset_secret(std::string_view ref) {
  if (ref.empty()) return true;
  if (starts_with(ref, env_prefix)) {
    const char* v = std::getenv(std::string{ ref.substr(env_prefix.size()) }.c_str());
    return v == nullptr || *v == '\0';
  }
  if (starts_with(ref, file_prefix)) {
    struct stat st;
    return ::stat(std::string{ ref.substr(file_prefix.size()) }.c_str(), &st) != 0;
  }
  return false;
}

std::string how_to_set(std::string_view ref) {
  if (ref.empty()) return "set api_key in cluster.conf (e.g. \"env:VAR\")";
  if (starts_with(ref, env_prefix))
    return "export " + std::string{ ref.substr(env_prefix.size()) } +
           " in the node's environment";
  if (starts_with(ref, file_prefix))
    return "write the secret to " + std::string{ ref.substr(file_prefix.size()) };
  if (starts_with(ref, esc_prefix))
    return "set the value in Pulumi ESC environment " +
           std::string{ ref.substr(esc_prefix.size()) };
  return "set api_key in cluster.conf";
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (auto& s : secrets) {
    if (s.size() < 4) continue;
    for (auto i = text.find(s); i != std::string::npos;
         i = text.find(s, i + 10))
      text.replace(i, s.size(), "<redacted>");
  }
  return text;
}

} // namespace sophia::runtime::config
