#include "runtime/http/curl_errors.hpp"

#include <cstring>

namespace sophia::runtime::http {

namespace {

/// "host:port" of the URL, or "unix:PATH", for messages.
std::string target_of(const request& req) {
  if (!req.unix_socket.empty()) return "unix:" + req.unix_socket;
  std::string out = req.url;
  if (auto h = curl_url()) {
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_set(h, CURLUPART_URL, req.url.c_str(), 0) == CURLUE_OK
        && curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK
        && curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)
             == CURLUE_OK)
      out = std::string{ host } + ":" + port;
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(h);
  }
  return out;
}

} // namespace

void classify_failure(attempt_result& out, CURL* easy, CURLcode rc,
                      const attempt& a, bool over_limit,
                      const char* errbuf) {
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_WRITE_ERROR:
      if (over_limit) {
        out.over_limit = true;
        out.code = errc::service_error;
        out.cause = "response larger than max_response_bytes ("
                    + std::to_string(a.max_bytes) + ")";
        return;
      }
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      out.code = errc::unreachable;
      out.cause = "cannot resolve " + target_of(*a.req) + " (" + detail
                  + ")";
      out.retryable = true;
      return;
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
      out.code = errc::unreachable;
      out.cause = "connect to " + target_of(*a.req) + " failed ("
                  + (os_errno != 0 ? std::string{ std::strerror(
                       static_cast<int>(os_errno)) }
                                   : detail)
                  + ")";
      out.retryable = true;
      return;
    }
    case CURLE_OPERATION_TIMEDOUT: {
      double connect_time = 0;
      curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME, &connect_time);
      out.code = errc::deadline_exceeded;
      if (connect_time <= 0 && out.status == 0)
        out.cause = "connect to " + target_of(*a.req) + " timed out ("
                    + detail + ")";
      else
        out.cause = "no complete response within "
                    + std::to_string(a.timeout.count()) + " ms (" + detail
                    + ")";
      out.retryable = true;
      return;
    }
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      out.code = errc::service_error;
      out.cause = "TLS failure with " + target_of(*a.req) + " (" + detail
                  + ")";
      return;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      out.code = errc::service_error;
      out.cause = "transfer from " + target_of(*a.req) + " failed ("
                  + detail + ")";
      out.retryable = true;
      return;
    default: break;
  }
  out.code = errc::service_error;
  out.cause = "request to " + target_of(*a.req) + " failed (" + detail
              + ")";
}

const char* http_version_name(long v) {
  switch (v) {
    case CURL_HTTP_VERSION_1_0: return "1.0";
    case CURL_HTTP_VERSION_1_1: return "1.1";
    case CURL_HTTP_VERSION_2_0: return "2";
    case CURL_HTTP_VERSION_3: return "3";
    default: return "";
  }
}

} // namespace sophia::runtime::http
