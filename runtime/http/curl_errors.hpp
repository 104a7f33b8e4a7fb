#pragma once

#include <curl/curl.h>

#include "runtime/http/curl_loop.hpp"

/// What a failed libcurl transfer means for the caller.
namespace sophia::runtime::http {

/// Fills `code`, `cause`, `retryable` and `over_limit` of `out` for a
/// transfer of `a` that ended with `rc`; `errbuf` is its CURLOPT_ERRORBUFFER.
void classify_failure(attempt_result& out, CURL* easy, CURLcode rc,
                      const attempt& a, bool over_limit, const char* errbuf);

/// "1.0", "1.1", "2" or "3" for CURLINFO_HTTP_VERSION.
const char* http_version_name(long version);

} // namespace sophia::runtime::http
