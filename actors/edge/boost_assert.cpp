// Boost's assertion handler, for builds that keep assertions (the sanitizer
// and fuzzing builds; release builds define NDEBUG and never get here).
//
// Boost.Beast 1.74, Debian 12's, asserts in `parse_chunk_header` on a
// chunked body whose final chunk arrives split across reads in certain
// ways: the checks there assume a position the streaming parser does not
// always have (upstream fixed such asserts later, e.g. boostorg/beast#2861).
// Without the assertions the parser rejects such input with an error
// (`bad chunk extension`), as a release build does; the fuzzer found it
// and tests/fuzz/regressions/http_request/ keeps the input. Every other
// assertion aborts as usual.

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <boost/assert.hpp>

namespace {

bool known_beast_chunk_assert(std::string_view file, std::string_view function) {
  return file.ends_with("boost/beast/http/impl/basic_parser.ipp") &&
         function.find("parse_chunk_header") != std::string_view::npos;
}

} // namespace

namespace boost {

void assertion_failed_msg(char const* expr,
                          char const* msg,
                          char const* function,
                          char const* file,
                          long line) {
  if (known_beast_chunk_assert(file, function)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s\n", file, line,
               function, expr, msg ? ": " : "", msg ? msg : "");
  std::abort();
}

void assertion_failed(char const* expr,
                      char const* function,
                      char const* file,
                      long line) {
  assertion_failed_msg(expr, nullptr, function, file, line);
}

} // namespace boost
