#include "actors/edge/auth.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace sophia::actors::edge;

namespace {

constexpr auto abc_hash =
  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/// A file in a fresh temporary directory, removed with the directory.
class temp_file {
public:
  explicit temp_file(const std::string& content) {
    auto base = std::filesystem::temp_directory_path() /
                ("sophia_auth_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(base);
    dir_ = base;
    path_ = (base / "secret").string();
    std::ofstream out{ path_, std::ios::binary };
    out << content;
  }
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;

  const std::string& path() const { return path_; }
  std::string dir() const { return dir_.string(); }

private:
  std::filesystem::path dir_;
  std::string path_;
};

key_ring ring_with(const std::string& token) {
  key_ring ring;
  ring.add("ops", sha256_hex(token), { "sophia.*", "conformance.echo" });
  return ring;
}

} // namespace

// -- hashing ------------------------------------------------------------------

TEST_CASE("sha256_hex matches the standard test vectors") {
  CHECK(sha256_hex("abc") == abc_hash);
  CHECK(sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(
    sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1'000'000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Embedded NUL bytes are data, not terminators.
  CHECK(sha256_hex(std::string_view{ "a\0b", 3 }) != sha256_hex("a"));
}

TEST_CASE("constant_time_equal compares like ==") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("secret", "secret"));
  CHECK_FALSE(constant_time_equal("secret", "secreT"));
  CHECK_FALSE(constant_time_equal("secret", "Secret"));
  CHECK_FALSE(constant_time_equal("secret", "secret2"));
  CHECK_FALSE(constant_time_equal("secret2", "secret"));
  CHECK_FALSE(constant_time_equal("", "x"));
  // A prefix padded with NULs is still different.
  CHECK_FALSE(constant_time_equal(std::string_view{ "ab\0", 3 }, "ab"));
}

// -- secret references --------------------------------------------------------

TEST_CASE("env: references read the environment") {
  ::setenv("SOPHIA_AUTH_TEST_KEY", "s3cret", 1);
  auto r = resolve_secret("env:SOPHIA_AUTH_TEST_KEY");
  REQUIRE(r.value);
  CHECK(*r.value == "s3cret");
  CHECK(r.error.empty());
  CHECK_FALSE(r.is_hash);

  ::unsetenv("SOPHIA_AUTH_TEST_UNSET");
  r = resolve_secret("env:SOPHIA_AUTH_TEST_UNSET");
  CHECK_FALSE(r.value);
  CHECK(r.error == "environment variable SOPHIA_AUTH_TEST_UNSET is not set");

  ::setenv("SOPHIA_AUTH_TEST_EMPTY", "", 1);
  r = resolve_secret("env:SOPHIA_AUTH_TEST_EMPTY");
  CHECK_FALSE(r.value);
  CHECK(r.error == "environment variable SOPHIA_AUTH_TEST_EMPTY is empty");

  r = resolve_secret("env:");
  CHECK_FALSE(r.value);
  CHECK(r.error == "env: reference needs a variable name");
  ::unsetenv("SOPHIA_AUTH_TEST_KEY");
  ::unsetenv("SOPHIA_AUTH_TEST_EMPTY");
}

TEST_CASE("file: references read the file without its trailing newline") {
  {
    temp_file f{ "tok123\n" };
    auto r = resolve_secret("file:" + f.path());
    REQUIRE(r.value);
    CHECK(*r.value == "tok123");
    CHECK(r.error.empty());
    CHECK_FALSE(r.is_hash);
  }
  {
    temp_file f{ "tok123" };
    CHECK(resolve_secret("file:" + f.path()).value == "tok123");
  }
  {
    temp_file f{ "tok123\r\n" };
    CHECK(resolve_secret("file:" + f.path()).value == "tok123");
  }
  {
    // Only one newline goes; inner ones and others stay.
    temp_file f{ "line1\nline2\n\n" };
    CHECK(resolve_secret("file:" + f.path()).value == "line1\nline2\n");
  }
  {
    temp_file f{ "  spaced  \n" };
    CHECK(resolve_secret("file:" + f.path()).value == "  spaced  ");
  }
}

TEST_CASE("file: references report unreadable and empty files") {
  auto r = resolve_secret("file:/nonexistent/sophia/secret");
  CHECK_FALSE(r.value);
  CHECK(r.error ==
        "cannot read secret file /nonexistent/sophia/secret: No such file "
        "or directory");
  {
    temp_file f{ "\n" };
    r = resolve_secret("file:" + f.path());
    CHECK_FALSE(r.value);
    CHECK(r.error == "secret file " + f.path() + " is empty");
    // A directory opens but cannot be read.
    r = resolve_secret("file:" + f.dir());
    CHECK_FALSE(r.value);
    CHECK(r.error == "cannot read secret file " + f.dir() + ": Is a directory");
  }
  {
    temp_file f{ std::string(70 * 1024, 'x') };
    r = resolve_secret("file:" + f.path());
    CHECK_FALSE(r.value);
    CHECK(r.error == "secret file " + f.path() + " is larger than 64 KiB");
  }
  r = resolve_secret("file:");
  CHECK_FALSE(r.value);
  CHECK(r.error == "file: reference needs a path");
}

TEST_CASE("sha256: references are already hashes") {
  auto r = resolve_secret(std::string{ "sha256:" } + abc_hash);
  REQUIRE(r.value);
  CHECK(*r.value == abc_hash);
  CHECK(r.is_hash);
  CHECK(r.error.empty());
  // Upper case hex is normalized.
  r = resolve_secret(
    "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  REQUIRE(r.value);
  CHECK(*r.value == abc_hash);
  for (
    auto bad :
    { "sha256:",
      "sha256:abc",
      "sha256:zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      "sha256:"
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad00" }) {
    CAPTURE(bad);
    r = resolve_secret(bad);
    CHECK_FALSE(r.value);
    CHECK_FALSE(r.is_hash);
    CHECK(r.error == "sha256: reference needs exactly 64 hex digits");
  }
}

TEST_CASE("literal secrets are rejected without echoing them") {
  for (auto literal :
       { "hunter2",
         "",
         "Bearer abc",
         "ENV:X",
         "vault:kv/x",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" }) {
    CAPTURE(literal);
    auto r = resolve_secret(literal);
    CHECK_FALSE(r.value);
    CHECK(r.error ==
          "secrets must be references (env:NAME, file:/path or "
          "sha256:<64 hex digits>) so that keys never sit in cluster.conf");
  }
}

// -- API keys -----------------------------------------------------------------

TEST_CASE("glob_match treats * as any run of characters") {
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "anything.at.all"));
  CHECK(glob_match("sophia.*", "sophia.status"));
  CHECK(glob_match("sophia.*", "sophia."));
  CHECK(glob_match("sophia.*", "sophia.a.b"));
  CHECK_FALSE(glob_match("sophia.*", "sophia"));
  CHECK_FALSE(glob_match("sophia.*", "sophiax.status"));
  CHECK_FALSE(glob_match("sophia.*", "conformance.echo"));
  CHECK(glob_match("conformance.echo", "conformance.echo"));
  CHECK_FALSE(glob_match("conformance.echo", "conformance.echo2"));
  CHECK_FALSE(glob_match("conformance.echo", "Conformance.echo"));
  CHECK(glob_match("*.echo", "conformance.echo"));
  CHECK(glob_match("a*b*c", "a-b-b-c"));
  CHECK_FALSE(glob_match("a*b*c", "a-c-b"));
  CHECK(glob_match("**", "x"));
  CHECK_FALSE(glob_match("", "x"));
  CHECK(glob_match("", ""));
  // Pathological patterns stay fast (no exponential backtracking).
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(10'000, 'a')));
}

TEST_CASE("key_ring authenticates bearer tokens") {
  auto ring = ring_with("tok-123");
  CHECK_FALSE(ring.empty());
  CHECK(ring.size() == 1);
  const auto* key = ring.authenticate("Bearer tok-123");
  REQUIRE(key != nullptr);
  CHECK(key->name == "ops");
  CHECK(key->token_hash == sha256_hex("tok-123"));
  // The scheme is case-insensitive; blanks around the token are tolerated.
  CHECK(ring.authenticate("bearer tok-123") == key);
  CHECK(ring.authenticate("BEARER tok-123") == key);
  CHECK(ring.authenticate("Bearer    tok-123") == key);
  CHECK(ring.authenticate("  Bearer tok-123  ") == key);
  CHECK(ring.authenticate("Bearer\ttok-123") == key);
}

TEST_CASE("key_ring rejects missing, malformed and unknown credentials") {
  auto ring = ring_with("tok-123");
  CHECK(ring.authenticate("") == nullptr);
  CHECK(ring.authenticate("   ") == nullptr);
  CHECK(ring.authenticate("Bearer") == nullptr);
  CHECK(ring.authenticate("Bearer ") == nullptr);
  CHECK(ring.authenticate("tok-123") == nullptr);
  CHECK(ring.authenticate("Basic x") == nullptr);
  CHECK(ring.authenticate("Basic tok-123") == nullptr);
  CHECK(ring.authenticate("Bearertok-123") == nullptr);
  CHECK(ring.authenticate("Bearer tok-1234") == nullptr);
  CHECK(ring.authenticate("Bearer TOK-123") == nullptr); // tokens are exact
  CHECK(ring.authenticate("Bearer tok-123 extra") == nullptr);
  CHECK(ring.authenticate("Bearer tok\x01-123") == nullptr);
  key_ring none;
  CHECK(none.empty());
  CHECK(none.authenticate("Bearer tok-123") == nullptr);
}

TEST_CASE("key_ring picks the key whose token matches") {
  key_ring ring;
  ring.add("reader", sha256_hex("r-token"), { "data.read*" });
  // Hashes from configuration may be upper case.
  auto upper = sha256_hex("w-token");
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ring.add("writer", upper, { "*" });
  ring.add("conformance", abc_hash, { "conformance.*" });
  CHECK(ring.size() == 3);
  REQUIRE(ring.authenticate("Bearer r-token") != nullptr);
  CHECK(ring.authenticate("Bearer r-token")->name == "reader");
  REQUIRE(ring.authenticate("Bearer w-token") != nullptr);
  CHECK(ring.authenticate("Bearer w-token")->name == "writer");
  REQUIRE(ring.authenticate("Bearer abc") != nullptr);
  CHECK(ring.authenticate("Bearer abc")->name == "conformance");
  CHECK(ring.authenticate("Bearer x-token") == nullptr);
}

TEST_CASE("key_ring::allows applies the tool allow-list") {
  auto ring = ring_with("t");
  const auto* key = ring.authenticate("Bearer t");
  REQUIRE(key != nullptr);
  CHECK(key_ring::allows(*key, "sophia.status"));
  CHECK(key_ring::allows(*key, "conformance.echo"));
  CHECK_FALSE(key_ring::allows(*key, "conformance.sleep"));
  CHECK_FALSE(key_ring::allows(*key, "data.query"));
  key_ring::entry all{ "all", abc_hash, { "*" } };
  CHECK(key_ring::allows(all, "anything"));
  CHECK(key_ring::allows(all, ""));
  key_ring::entry nothing{ "nothing", abc_hash, {} };
  CHECK_FALSE(key_ring::allows(nothing, "sophia.status"));
  key_ring::entry conformance{ "c", abc_hash, { "conformance.*" } };
  CHECK(key_ring::allows(conformance, "conformance.echo"));
  CHECK_FALSE(key_ring::allows(conformance, "sophia.status"));
}

// -- Host and Origin checks ---------------------------------------------------

TEST_CASE("host_allowed accepts listed hosts with any port") {
  origin_policy p{ { "localhost", "127.0.0.1", "[::1]" } };
  CHECK(host_allowed(p, "localhost"));
  CHECK(host_allowed(p, "localhost:3000"));
  CHECK(host_allowed(p, "LocalHost:3000"));
  CHECK(host_allowed(p, "127.0.0.1"));
  CHECK(host_allowed(p, "127.0.0.1:8080"));
  CHECK(host_allowed(p, "[::1]"));
  CHECK(host_allowed(p, "[::1]:8080"));
  CHECK(host_allowed(p, " localhost:3000 "));
}

TEST_CASE("host_allowed rejects other, empty and malformed hosts") {
  origin_policy p{ { "localhost", "127.0.0.1", "[::1]" } };
  CHECK_FALSE(host_allowed(p, ""));
  CHECK_FALSE(host_allowed(p, "evil.example.com"));
  CHECK_FALSE(host_allowed(p, "evil.example.com:8080"));
  CHECK_FALSE(host_allowed(p, "localhost.evil.example.com"));
  CHECK_FALSE(host_allowed(p, "localhost."));
  CHECK_FALSE(host_allowed(p, "127.0.0.2"));
  CHECK_FALSE(host_allowed(p, "::1")); // IPv6 needs brackets
  CHECK_FALSE(host_allowed(p, "[::1"));
  CHECK_FALSE(host_allowed(p, "[::1]8080"));
  CHECK_FALSE(host_allowed(p, "[::2]:8080"));
  CHECK_FALSE(host_allowed(p, "localhost:80a"));
  CHECK_FALSE(host_allowed(p, "localhost:1234567"));
  CHECK_FALSE(host_allowed(p, "user@localhost"));
  CHECK_FALSE(host_allowed(p, "localhost/x"));
  CHECK_FALSE(host_allowed(p, ":8080"));
  CHECK_FALSE(host_allowed(origin_policy{}, "localhost"));
}

TEST_CASE("host_allowed normalizes the policy's entries") {
  origin_policy p{ { "::1", "MCP.Example.com" } };
  CHECK(host_allowed(p, "[::1]:8080"));
  CHECK(host_allowed(p, "mcp.example.com"));
  CHECK(host_allowed(p, "mcp.EXAMPLE.com:443"));
}

TEST_CASE("origin_allowed checks the host of browser origins") {
  origin_policy p{ { "localhost", "127.0.0.1", "[::1]" } };
  CHECK(origin_allowed(p, "")); // non-browser clients send none
  CHECK(origin_allowed(p, "   "));
  CHECK(origin_allowed(p, "http://127.0.0.1:8080"));
  CHECK(origin_allowed(p, "http://localhost:3000"));
  CHECK(origin_allowed(p, "https://localhost"));
  CHECK(origin_allowed(p, "http://[::1]:8080"));
  CHECK(origin_allowed(p, "HTTP://LOCALHOST:3000"));
  CHECK(origin_allowed(p, "http://localhost:3000/"));
  CHECK_FALSE(origin_allowed(p, "null"));
  CHECK_FALSE(origin_allowed(p, "NULL"));
  CHECK_FALSE(origin_allowed(p, "http://evil.example.com"));
  CHECK_FALSE(origin_allowed(p, "https://evil.example.com:443"));
  CHECK_FALSE(origin_allowed(p, "http://localhost.evil.example.com"));
  CHECK_FALSE(origin_allowed(p, "localhost:3000")); // no scheme
  CHECK_FALSE(origin_allowed(p, "://localhost"));
  CHECK_FALSE(origin_allowed(p, "http://"));
  CHECK_FALSE(origin_allowed(p, "http://localhost/path"));
  CHECK_FALSE(origin_allowed(p, "http://evil.example.com@localhost"));
  CHECK_FALSE(origin_allowed(p, "http://localhost@evil.example.com"));
  CHECK_FALSE(origin_allowed(p, "ht tp://localhost"));
}

TEST_CASE("default_policy allows loopback and a specific bind address") {
  auto loopback = std::vector<std::string>{ "localhost", "127.0.0.1", "[::1]" };
  CHECK(default_policy("0.0.0.0").hosts == loopback);
  CHECK(default_policy("::").hosts == loopback);
  CHECK(default_policy("[::]").hosts == loopback);
  CHECK(default_policy("").hosts == loopback);
  CHECK(default_policy("127.0.0.1").hosts == loopback);
  CHECK(default_policy("::1").hosts == loopback);
  CHECK(default_policy("localhost").hosts == loopback);
  auto p = default_policy("10.0.0.5");
  CHECK(p.hosts.size() == 4);
  CHECK(p.hosts.back() == "10.0.0.5");
  CHECK(host_allowed(p, "10.0.0.5:8080"));
  CHECK(origin_allowed(p, "http://10.0.0.5:8080"));
  CHECK_FALSE(host_allowed(p, "10.0.0.6:8080"));
  auto v6 = default_policy("FD00::7");
  CHECK(v6.hosts.back() == "[fd00::7]");
  CHECK(host_allowed(v6, "[fd00::7]:8080"));
  auto named = default_policy("Edge-1.internal");
  CHECK(named.hosts.back() == "edge-1.internal");
  CHECK(host_allowed(named, "edge-1.internal:8080"));
  auto wildcard = default_policy("0.0.0.0");
  CHECK(host_allowed(wildcard, "localhost:8080"));
  CHECK_FALSE(host_allowed(wildcard, "evil.example.com"));
}
