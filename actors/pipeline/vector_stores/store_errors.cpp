#include "actors/pipeline/vector_stores/store_errors.hpp"

#include "runtime/error.hpp"

namespace sophia::actors::pipeline::vector_stores {

namespace {

constexpr size_t max_quoted = 300;

} // namespace

std::string clip_message(std::string text) {
  for (auto& ch : text)
    if (ch == '\n' || ch == '\r') ch = ' ';
  if (text.size() > max_quoted)
    text = clip_utf8(std::move(text), max_quoted) + "...";
  return text;
}

std::string quote_body(std::string_view body) {
  if (body.empty()) return "(empty body)";
  return clip_message(std::string{ body });
}

caf::error check_query(const query& q) {
  using runtime::errc;
  if (q.values.empty())
    return runtime::make_error(errc::rejected, "the query has no vector");
  if (!all_finite(q.values))
    return runtime::make_error(errc::rejected,
                               "the query vector has a value that is NaN or "
                               "infinite");
  if (q.k == 0)
    return runtime::make_error(errc::rejected, "the query asks for 0 matches");
  for (auto& [field, value] : q.filter)
    if (!is_filter_field(field))
      return runtime::make_error(errc::rejected,
                                 "cannot filter on '" + field +
                                   "': only source, stream, table and key");
  return {};
}

} // namespace sophia::actors::pipeline::vector_stores
