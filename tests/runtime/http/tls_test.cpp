// HTTPS against local Node servers with a certificate made for the test:
// HTTP/2 negotiated by ALPN and multiplexed on one connection, HTTP/1.1 where
// the server offers only that, the trust anchor from the policy's `ca_file`,
// and a clear error when the certificate is not trusted.

#include "client_fixture.hpp"

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "runtime/testing/node_script.hpp"

namespace sophia::testing::http {

namespace {

namespace fs = std::filesystem;

/// A self-signed certificate for 127.0.0.1 and localhost in a temporary
/// directory, made with the openssl command (tools/setup installs it).
struct certificate {
  fs::path dir;
  fs::path key;
  fs::path cert;

  certificate() {
    char tmpl[] = "/tmp/sophia-tls-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    key = dir / "key.pem";
    cert = dir / "cert.pem";
    auto cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
               "/CN=localhost -addext "
               "subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
               key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0,
                    "openssl could not make a certificate (is the openssl "
                    "package installed? tools/setup installs it)");
  }

  ~certificate() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

struct tls_fixture : fixture {
  certificate cert;

  /// tls_server.mjs serving `mode` ("h2" or "http1"); its port.
  std::unique_ptr<runtime::testing::node_script> serve(const std::string& mode,
                                                       uint16_t& port) {
    auto s = std::make_unique<runtime::testing::node_script>(
      SOPHIA_TLS_SERVER_JS,
      std::vector<std::string>{ cert.key.string(), cert.cert.string(), mode },
      std::chrono::seconds{ 15 },
      true);
    port = static_cast<uint16_t>(std::atoi(s->first_line().c_str()));
    REQUIRE(port != 0);
    return s;
  }

  void trust(const std::string& service, const std::string& ca_file) {
    policy p;
    p.ca_file = ca_file;
    p.max_retries = 0;
    caf::scoped_actor self{ *sys };
    self->request(client, 5s, configure::value, service, p)
      .receive([](caf::ok_atom) {}, [](caf::error&) { FAIL("configure"); });
  }

  request https(uint16_t port,
                const std::string& path,
                const std::string& service) {
    request r;
    r.service = service;
    r.url = "https://127.0.0.1:" + std::to_string(port) + path;
    return r;
  }
};

} // namespace

TEST_CASE_FIXTURE(tls_fixture,
                  "HTTPS with HTTP/2 multiplexes on one connection") {
  uint16_t port = 0;
  auto server = serve("h2", port);
  trust("private", cert.cert.string());
  auto first = call(https(port, "/one", "private"));
  REQUIRE_MESSAGE(first.res, first.detail());
  CHECK(first.res->status == 200);
  CHECK(first.res->http_version == "2");
  auto seen = nlohmann::json::parse(first.res->body);
  CHECK(seen["version"] == "2.0");
  CHECK(seen["path"] == "/one");
  // Sixteen at once and one after: all on the connection of the first.
  std::vector<request> many;
  for (int i = 0; i < 16; ++i)
    many.push_back(https(port, "/many/" + std::to_string(i), "private"));
  for (auto& out : call_all(std::move(many))) {
    REQUIRE_MESSAGE(out.res, out.detail());
    CHECK(out.res->status == 200);
    CHECK(out.res->http_version == "2");
  }
  auto last = call(https(port, "/last", "private"));
  REQUIRE(last.res);
  CHECK(nlohmann::json::parse(last.res->body)["connections"] == 1);
}

TEST_CASE_FIXTURE(tls_fixture, "HTTPS falls back to HTTP/1.1 and reuses it") {
  uint16_t port = 0;
  auto server = serve("http1", port);
  trust("private", cert.cert.string());
  for (int i = 0; i < 3; ++i) {
    auto out = call(https(port, "/x", "private"));
    REQUIRE_MESSAGE(out.res, out.detail());
    CHECK(out.res->http_version == "1.1");
    CHECK(nlohmann::json::parse(out.res->body)["version"] == "1.1");
    CHECK(nlohmann::json::parse(out.res->body)["connections"] == 1);
  }
}

TEST_CASE_FIXTURE(tls_fixture, "an untrusted certificate is a clear error") {
  uint16_t port = 0;
  auto server = serve("h2", port);
  // Trusted through a CA file first: the next request reuses the libcurl
  // handle, which must go back to the system's CAs, and a connection
  // verified with the CA file must not serve it.
  trust("private", cert.cert.string());
  auto trusted = call(https(port, "/x", "private"));
  REQUIRE_MESSAGE(trusted.res, trusted.detail());
  // The system's CAs do not know the test's certificate.
  trust("public", "");
  auto out = call(https(port, "/x", "public"));
  REQUIRE_FALSE(out.res);
  CHECK(out.code() == errc::service_error);
  INFO(out.detail());
  CHECK(contains(out.detail(), "public"));
  CHECK(contains(out.detail(), "certificate"));
  // A CA file that does not exist is named.
  trust("missing", "/nonexistent/ca.pem");
  auto missing = call(https(port, "/x", "missing"));
  REQUIRE_FALSE(missing.res);
  INFO(missing.detail());
  CHECK(contains(missing.detail(), "/nonexistent/ca.pem"));
}

} // namespace sophia::testing::http
