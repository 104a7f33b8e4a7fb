#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sophia::actors::ai {

/// An incremental parser of `text/event-stream` bodies (the WHATWG rules
/// the providers' streamed completions follow): feed bytes as they arrive,
/// take the complete events' `data` fields. Comments (`: PROCESSING`),
/// `event:`, `id:` and `retry:` lines are skipped; CR, LF and CRLF all end
/// lines; multi-line data is joined with LF.
class sse_parser {
public:
  /// Parses `bytes` and returns the data of every event they complete.
  std::vector<std::string> feed(std::string_view bytes);

  /// Bytes held for an unfinished line or event.
  size_t pending() const { return line_.size() + data_.size(); }

private:
  void line(std::string_view text, std::vector<std::string>& out);

  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool last_cr_ = false;
};

} // namespace sophia::actors::ai
