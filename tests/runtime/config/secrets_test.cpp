#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "runtime/config/secrets.hpp"
#include "runtime/error.hpp"

using namespace sophia::runtime;
using namespace sophia::runtime::config;
namespace fs = std::filesystem;

namespace {

/// A scratch directory removed at the end of the test.
struct scratch {
  fs::path dir;
  scratch() {
    char tmpl[] = "/tmp/sophia-secrets-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~scratch() { fs::remove_all(dir); }
  fs::path write(const std::string& name, const std::string& text) {
    auto p = dir / name;
    std::ofstream{ p } << text;
    return p;
  }
};

/// Sets PATH for the scope of a test.
struct path_override {
  std::string old;
  explicit path_override(const std::string& path) {
    if (auto* p = std::getenv("PATH")) old = p;
    ::setenv("PATH", path.c_str(), 1);
  }
  ~path_override() { ::setenv("PATH", old.c_str(), 1); }
};

std::string error_of(const caf::expected<std::string>& x) {
  REQUIRE_FALSE(x);
  CHECK(code_of(x.error()) == errc::bad_config);
  return detail_of(x.error());
}

} // namespace

TEST_CASE("env: references read the environment, and name what is unset") {
  ::setenv("SOPHIA_TEST_SECRET", "sk-test-123", 1);
  CHECK(resolve_secret("env:SOPHIA_TEST_SECRET") == std::string{ "sk-test-123" });
  CHECK_FALSE(is_unset_secret("env:SOPHIA_TEST_SECRET"));
  ::unsetenv("SOPHIA_TEST_SECRET");
  CHECK(error_of(resolve_secret("env:SOPHIA_TEST_SECRET")) ==
        "env:SOPHIA_TEST_SECRET: the environment variable SOPHIA_TEST_SECRET "
        "is not set");
  CHECK(is_unset_secret("env:SOPHIA_TEST_SECRET"));
  CHECK(how_to_set("env:SOPHIA_TEST_SECRET") ==
        "export SOPHIA_TEST_SECRET in the node's environment");
  CHECK(error_of(resolve_secret("env:")).find("names no environment") !=
        std::string::npos);
}

TEST_CASE("file: references read the file without its trailing newline") {
  scratch s;
  auto p = s.write("key", "sk-file-456\n");
  CHECK(resolve_secret("file:" + p.string()) == std::string{ "sk-file-456" });
  auto missing = (s.dir / "nope").string();
  CHECK(error_of(resolve_secret("file:" + missing))
          .find("cannot read the file: No such file") != std::string::npos);
  CHECK(is_unset_secret("file:" + missing));
  auto empty = s.write("empty", "\n");
  CHECK(error_of(resolve_secret("file:" + empty.string())).find("is empty") !=
        std::string::npos);
}

TEST_CASE("a literal is its own value") {
  CHECK(resolve_secret("sk-literal") == std::string{ "sk-literal" });
  CHECK(is_unset_secret(""));
}

TEST_CASE("esc: references run the Pulumi ESC CLI, or say it is missing") {
  scratch s;
  {
    path_override no_esc{ s.dir.string() };
    auto text = error_of(resolve_secret("esc:acme/ai/prod#openrouter.key"));
    CHECK(text.find("esc:acme/ai/prod#openrouter.key: the Pulumi ESC CLI "
                    "`esc` is not installed") == 0);
  }
  CHECK(error_of(resolve_secret("esc:acme/prod#key")).find("expected esc:") !=
        std::string::npos);
  // The ESC CLI is not in Debian or npm: a stand-in script prints what
  // `esc env open ORG/PROJECT/ENV --format json` prints, and checks its
  // arguments.
  auto esc = s.write("esc", R"(#!/bin/sh
[ "$1 $2 $3 $4 $5" = "env open acme/ai/prod --format json" ] || { echo "bad args: $*" >&2; exit 1; }
echo '{"openrouter":{"key":"sk-esc-789"},"ports":[80,443],"n":5}'
)");
  fs::permissions(esc, fs::perms::owner_all);
  s.write("fail", "");
  path_override with_esc{ s.dir.string() + ":/usr/bin:/bin" };
  CHECK(resolve_secret("esc:acme/ai/prod#openrouter.key") ==
        std::string{ "sk-esc-789" });
  CHECK(resolve_secret("esc:acme/ai/prod#ports.1") == std::string{ "443" });
  CHECK(error_of(resolve_secret("esc:acme/ai/prod#openrouter.nope")) ==
        "esc:acme/ai/prod#openrouter.nope: environment acme/ai/prod has no "
        "value at 'openrouter.nope'");
  CHECK(error_of(resolve_secret("esc:acme/ai/prod#openrouter"))
          .find("is not a string but object") != std::string::npos);
  CHECK(error_of(resolve_secret("esc:acme/ai/dev#x"))
          .find("failed (exit 1): bad args") != std::string::npos);
}

TEST_CASE("redact hides every occurrence of the secrets") {
  CHECK(redact("key sk-abc and sk-abc again", { "sk-abc", "no" }) ==
        "key <redacted> and <redacted> again");
}
