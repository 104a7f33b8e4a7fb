#include "actors/ai/sse.hpp"

namespace sophia::actors::ai {

std::vector<std::string> sse_parser::feed(std::string_view bytes) {
  std::vector<std::string> out;
  for (char ch : bytes) {
    if (ch == '\n' && last_cr_) {
      // The LF of a CRLF: the CR already ended the line.
      last_cr_ = false;
      continue;
    }
    last_cr_ = ch == '\r';
    if (ch == '\r' || ch == '\n') {
      line(line_, out);
      line_.clear();
    } else {
      line_.push_back(ch);
    }
  }
  return out;
}

void sse_parser::line(std::string_view text, std::vector<std::string>& out) {
  if (text.empty()) {
    // A blank line dispatches the event, if it carried data.
    if (has_data_) out.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  if (text.front() == ':') return;
  auto colon = text.find(':');
  auto field = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field != "data") return;
  if (has_data_) data_.push_back('\n');
  data_.append(value);
  has_data_ = true;
}

} // namespace sophia::actors::ai
