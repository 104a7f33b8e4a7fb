#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/pipeline/sources/process.hpp"
#include "actors/pipeline/sources/source_run.hpp"

namespace src = sophia::actors::pipeline::sources;
using namespace std::chrono_literals;

namespace {

struct collected {
  src::run_result result;
  std::vector<std::string> lines;
};

collected run(std::vector<std::string> argv,
              std::chrono::milliseconds timeout = 10s,
              std::chrono::milliseconds grace = 5s) {
  src::run_options o;
  o.argv = std::move(argv);
  o.timeout = timeout;
  o.grace = grace;
  o.stderr_tail_bytes = 1024;
  o.max_line_bytes = 1000;
  collected out;
  auto r = src::run_command(o, [&](std::string_view l) {
    out.lines.emplace_back(l);
    return true;
  });
  REQUIRE_MESSAGE(std::holds_alternative<src::run_result>(r),
                  std::get<std::string>(r));
  out.result = std::get<src::run_result>(r);
  return out;
}

size_t open_fds() {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

} // namespace

TEST_CASE("source process: stdout lines as they come, the exit status and "
          "the stderr tail") {
  auto fds = open_fds();
  auto c = run({"/bin/sh", "-c",
                "printf 'a\\nb\\r\\n\\nlast'; i=0; while [ $i -lt 300 ]; do "
                "echo \"error line $i\" >&2; i=$((i+1)); done; exit 7"});
  CHECK(c.lines == std::vector<std::string>{"a", "b", "", "last"});
  CHECK(c.result.exit_code == 7);
  CHECK_FALSE(c.result.ok());
  CHECK(c.result.describe() == "exit status 7");
  // Only the tail, cut to the limit, ending with the last line.
  CHECK(c.result.stderr_tail.size() <= 1024);
  CHECK(c.result.stderr_tail.find("error line 299\n") != std::string::npos);
  CHECK(c.result.stderr_tail.find("error line 0\n") == std::string::npos);
  CHECK(open_fds() == fds);
}

TEST_CASE("source process: over-long lines are cut, not held") {
  auto c = run({"/bin/sh", "-c",
                "head -c 5000 /dev/zero | tr '\\0' x; echo; echo ok"});
  REQUIRE(c.lines.size() == 2);
  CHECK(c.lines[0].size() == 1001);
  CHECK(c.lines[1] == "ok");
  CHECK(c.result.ok());
}

TEST_CASE("source process: the child gets no descriptor of ours") {
  // One of ours, without O_CLOEXEC: the child must not see it.
  int fd = ::open("/dev/null", O_RDONLY);
  REQUIRE(fd >= 3);
  auto c = run({"/bin/sh", "-c", "ls /proc/$$/fd"});
  ::close(fd);
  CHECK(c.result.ok());
  CHECK(c.lines == std::vector<std::string>{"0", "1", "2"});
}

TEST_CASE("source process: a deadline stops it, SIGKILL when SIGTERM is "
          "ignored, with what it started") {
  auto fds = open_fds();
  auto started = std::chrono::steady_clock::now();
  auto c = run({"/bin/sh", "-c", "trap '' TERM; echo started; sleep 60 & wait"},
               500ms, 300ms);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(c.result.timed_out);
  CHECK(c.result.signal == SIGKILL);
  CHECK(c.lines == std::vector<std::string>{"started"});
  CHECK(took < 5s);
  CHECK(open_fds() == fds);
}

TEST_CASE("source process: a missing program is an error, not a crash") {
  src::run_options o;
  o.argv = {"/nonexistent/source"};
  auto r = src::run_command(o, [](std::string_view) { return true; });
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r).find("cannot run /nonexistent/source")
        != std::string::npos);
}

TEST_CASE("source process: the handler may stop it") {
  src::run_options o;
  o.argv = {"/bin/sh", "-c", "while true; do echo y; done"};
  int seen = 0;
  auto r = src::run_command(o, [&](std::string_view) { return ++seen < 3; });
  REQUIRE(std::holds_alternative<src::run_result>(r));
  CHECK(std::get<src::run_result>(r).stopped);
  CHECK(seen == 3);
}

TEST_CASE("source temp files: mode 0600, removed afterwards") {
  std::string path;
  {
    auto f = src::temp_file::create("t", "{\"secret\":1}");
    REQUIRE(std::holds_alternative<src::temp_file>(f));
    path = std::get<src::temp_file>(f).path();
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::ifstream in{path};
    std::string text;
    std::getline(in, text);
    CHECK(text == "{\"secret\":1}");
  }
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("source config: secret references resolve, and stay out of "
          "errors") {
  ::setenv("SOPHIA_TEST_SOURCE_TOKEN", "s3cr3t-token", 1);
  src::source_spec s;
  s.name = "gh";
  s.command = {"/bin/sh", "-c", "echo \"failed with $1\" >&2; exit 2", "sh"};
  s.config_json = R"({"auth":{"token":"env:SOPHIA_TEST_SOURCE_TOKEN"},"n":[1,"x"]})";
  auto c = src::resolve_config(s);
  REQUIRE(std::holds_alternative<src::resolved_config>(c));
  CHECK(std::get<src::resolved_config>(c).config["auth"]["token"]
        == "s3cr3t-token");
  s.config_json = R"({"auth":{"token":"env:SOPHIA_TEST_SOURCE_UNSET"}})";
  auto bad = src::resolve_config(s);
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK(std::get<std::string>(bad).find("source gh: config.auth.token: ")
        != std::string::npos);
  // A source echoing its config on stderr: the error shows <redacted>.
  s.config_json = R"({"token":"env:SOPHIA_TEST_SOURCE_TOKEN"})";
  s.command = {"/bin/sh", "-c", "cat \"$3\" >&2; exit 2", "sh"};
  auto r = src::check(s);
  REQUIRE(std::holds_alternative<std::string>(r));
  auto& err = std::get<std::string>(r);
  CHECK(err.find("source gh: `/bin/sh -c") != std::string::npos);
  CHECK(err.find("exit status 2") != std::string::npos);
  CHECK(err.find("<redacted>") != std::string::npos);
  CHECK(err.find("s3cr3t-token") == std::string::npos);
}
