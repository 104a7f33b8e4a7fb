#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

/// The one HTTP client of Sophia's service actors: libcurl's multi
/// interface driven by the client actor itself, its sockets in the node's
/// poller (`runtime/system/poller.hpp`), so that no scheduler thread ever
/// blocks on the network and a request costs no thread hand-off.
///
/// Messages the client actor (`spawn_client`) understands:
/// - `(fetch, request_ptr)` -> `response_ptr`: one exchange, with the
///   retries, breaker, concurrency and rate limits of the request's service.
///   Any HTTP status the server sent (after retries) is a `response`; only
///   transport failures are errors (`runtime/error.hpp` codes, the context
///   naming the service and the cause): `deadline_exceeded` (the request's
///   deadline or timeout passed), `unreachable` (no connection), `unavailable`
///   (breaker open), `cancelled` (`(cancel, tag)`), `service_error` (response
///   over the size limit, TLS failure, other transport errors).
/// - `(cancel, tag)`: aborts every pending or running request whose `tag`
///   equals `tag` (their callers receive `cancelled`).
/// - `(configure, service, policy)` -> `ok`: sets a service's policy (on
///   start and reload); requests of an unknown service use `policy{}`.
/// - `(stats)` -> `std::string`: JSON, per service: breaker state
///   (`closed`, `open`, `half_open`), `last_error`, `in_flight`, `queued`,
///   and per status (`"200"`, ..., `"error"`) the count and a latency
///   histogram (`buckets_ms` upper bounds, cumulative `counts`, `sum_ms`).
///
/// A streamed request (`stream_to` set) sends `(chunk, tag, bytes)` to
/// `stream_to` for each piece of the body as it arrives (in order), and its
/// final `response` has an empty body.
namespace sophia::runtime::http {

using fetch = caf::atom_constant<caf::atom("httpfetch")>;
using cancel = caf::atom_constant<caf::atom("httpcancel")>;
using configure = caf::atom_constant<caf::atom("httppolicy")>;
using stats = caf::atom_constant<caf::atom("httpstats")>;
using chunk = caf::atom_constant<caf::atom("httpchunk")>;

/// A header as sent or received; received names are lower-cased.
using header = std::pair<std::string, std::string>;

/// How the client treats one service's requests (`[services.NAME]`).
struct policy {
  std::chrono::milliseconds connect_timeout{ 5000 };
  /// The limit of one attempt, from the first byte sent to the last read.
  std::chrono::milliseconds timeout{ 60000 };
  /// Larger bodies fail with `service_error` naming the limit.
  size_t max_response_bytes = size_t{ 32 } << 20;
  /// Attempts after the first; only where retrying is safe (see request).
  int max_retries = 2;
  /// Exponential backoff with full jitter: attempt n waits a random time in
  /// [0, min(backoff_max, backoff_base * 2^n)], or what the server asked for
  /// with `Retry-After` / `retry-after-ms` when it did.
  std::chrono::milliseconds backoff_base{ 250 };
  std::chrono::milliseconds backoff_max{ 8000 };
  /// Consecutive failures (transport errors and 5xx) that open the
  /// breaker; 0 disables it. While open, requests fail at once with
  /// `unavailable`; after `breaker_cooldown` one probe goes through
  /// (half-open) and its outcome closes or reopens the breaker.
  int breaker_failures = 5;
  std::chrono::milliseconds breaker_cooldown{ 30000 };
  /// Requests of the service running at once; more wait in order. 0: none.
  int max_concurrency = 0;
  /// Token bucket: requests per second and bucket size. 0: no limit.
  double rate_per_second = 0;
  int rate_burst = 0;
  /// A PEM file of the certificate authorities to trust instead of the
  /// system's, for an endpoint behind a private CA; empty: the system's.
  std::string ca_file;
};

/// One HTTP request.
struct request {
  /// Names the policy, the breaker and the metrics; may be empty.
  std::string service;
  std::string method = "GET";
  /// Absolute `http://` or `https://` URL.
  std::string url;
  std::vector<header> headers;
  std::string body;
  /// When set, connect to this unix socket (Docker's API) instead of the
  /// URL's host; the URL still gives the path and the Host header.
  std::string unix_socket;
  /// No attempt and no retry wait goes past it; `{}` means none (then only
  /// the policy's timeout bounds each attempt).
  std::chrono::steady_clock::time_point deadline{};
  /// Whether a failed attempt may be sent again. Unset: only idempotent
  /// methods (GET, HEAD, PUT, DELETE, OPTIONS). A service that documents
  /// that 429 and 5xx mean "not processed" sets it for its POSTs.
  std::optional<bool> retry;
  /// Receives the body piece by piece (`(chunk, tag, bytes)`), e.g. SSE.
  caf::actor stream_to;
  /// Groups requests for `(cancel, tag)`, e.g. an MCP call's id.
  std::string tag;
};

/// One HTTP response.
struct response {
  int status = 0;
  /// The header lines of the last attempt's response as received, status
  /// line excluded; read through `find_header` and `headers`. Kept whole,
  /// not split: most callers read one header or none, and splitting every
  /// response into pairs cost some 3 % of a request.
  std::string header_block;
  std::string body;
  /// Attempts made, including the one that produced this response.
  int attempts = 1;
  /// From the call to the response, retries and waits included.
  std::chrono::microseconds elapsed{};
  /// "1.1" or "2".
  std::string http_version;

  /// The value of the first header named `name` (in any case), without
  /// surrounding blanks; nothing when there is none.
  std::optional<std::string_view> find_header(std::string_view name) const;

  /// Every header, names lower-cased, in the order received.
  std::vector<header> headers() const;
};

using request_ptr = std::shared_ptr<const request>;
using response_ptr = std::shared_ptr<const response>;

/// Spawns the client actor; its transfers end with it.
caf::actor spawn_client(caf::actor_system& sys);

} // namespace sophia::runtime::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::runtime::http::request_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::runtime::http::response_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::runtime::http::policy)
