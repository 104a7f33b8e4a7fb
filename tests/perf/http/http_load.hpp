#pragma once

// The HTTP client benchmark's parts: a local nginx, and two load generators
// issuing the same requests with the same concurrency, one through Sophia's
// client actor, one through a plain libcurl multi loop.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "bench_support.hpp"

namespace sophia::bench::http {

/// nginx on a loopback port with a generated configuration: a small fixed
/// 200 body, keep-alive without practical limits. Stopped on destruction.
class nginx_server {
public:
  /// Starts `binary` with its files under `dir`, its worker on CPU `cpu`
  /// (-1: wherever the kernel puts it); throws when it does not answer
  /// within a few seconds.
  nginx_server(const std::string& binary, const std::string& dir, int cpu);
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;
  ~nginx_server();

  uint16_t port() const noexcept { return port_; }

  /// "http://127.0.0.1:PORT/".
  std::string url() const;

  /// Connections nginx accepted so far (its stub_status `accepts`), read
  /// over a connection of its own that is opened once and then reused.
  long accepted();

private:
  child_process proc_;
  uint16_t port_ = 0;
  void* status_easy_ = nullptr;
};

/// What one run of one load generator measured.
struct run_result {
  std::string client; // "sophia" or "libcurl"
  size_t concurrency = 0;
  size_t requests = 0;
  size_t errors = 0;
  double seconds = 0;
  double rps = 0;
  latency_summary latency;
  /// Connections opened during the run.
  long new_connections = 0;
  /// CPU time of the benchmark's process (its threads, not nginx) during
  /// the run, per request: what the client costs, whatever the machine's
  /// neighbours do to the throughput.
  double cpu_us_per_request = 0;
};

/// `requests` GETs of `url` by `concurrency` caller actors, each issuing
/// `(fetch, request)` to `client` back to back; the result is named `name`.
run_result run_sophia(caf::actor_system& sys,
                      const caf::actor& client,
                      const std::string& url,
                      size_t concurrency,
                      size_t requests,
                      const std::string& name = "sophia");

/// An actor that answers every `(fetch, request)` at once with the same
/// 200 response, no HTTP behind it: run by the same callers, it measures
/// what the actor hop alone (messages, scheduling, the response promise)
/// costs per request.
caf::actor spawn_answering_actor(caf::actor_system& sys);

/// Sends `concurrency` GETs of `url` to `client` at once and waits for
/// them all: the client then holds a connection per caller. Callers in a
/// loop reach that many requests in flight only now and then, so a
/// warm-up of loops alone left a few connections for the measured runs
/// to open.
void open_connections(caf::actor_system& sys, const caf::actor& client,
                      const std::string& url, size_t concurrency);

/// Connections Sophia's client opened so far for the benchmark's service.
long sophia_connections(caf::actor_system& sys, const caf::actor& client);

/// A plain libcurl multi loop keeping `concurrency` transfers running; its
/// multi handle (and connection cache) lives as long as this object. Like
/// any program that uses its responses it keeps each one's header lines
/// and body (in buffers reused from response to response), where Sophia's
/// client parses the headers and hands a response to the caller.
class plain_curl {
public:
  plain_curl();
  plain_curl(const plain_curl&) = delete;
  plain_curl& operator=(const plain_curl&) = delete;
  ~plain_curl();

  run_result run(const std::string& url, size_t concurrency, size_t requests);

private:
  void* multi_;
  std::vector<void*> easy_;
};

} // namespace sophia::bench::http
