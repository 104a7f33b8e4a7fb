#include "actors/pipeline/postgres/rows.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "actors/pipeline/postgres/coerce.hpp"
#include "actors/pipeline/postgres/copy_text.hpp"
#include "actors/pipeline/postgres/names.hpp"
#include "actors/pipeline/postgres/stream_table.hpp"

namespace sophia::actors::pipeline::postgres {

using nlohmann::json;

std::vector<std::string> copy_columns(const stream_table& t) {
  std::vector<std::string> out{"_airbyte_raw_id", "_airbyte_extracted_at",
                               "_airbyte_generation_id", "_airbyte_data"};
  for (auto& c : t.columns())
    out.push_back(names::quoted(c.name));
  out.push_back("_airbyte_meta");
  return out;
}

namespace {

// 0001-01-01 and 294276-01-01 in epoch milliseconds.
constexpr int64_t min_ms = -62135596800000;
constexpr int64_t max_ms = 9224286307200000;

// Howard Hinnant's days-to-civil.
void civil(int64_t days, int64_t& y, unsigned& m, unsigned& d) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  auto doe = static_cast<unsigned>(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

void two(std::string& out, unsigned v) {
  out += static_cast<char>('0' + v / 10);
  out += static_cast<char>('0' + v % 10);
}

// "YYYY-MM-DD HH:MM:SS.mmm+00"
void append_timestamp(std::string& out, int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  int64_t rest = ms - days * 86400000;
  int64_t y;
  unsigned m, d;
  civil(days, y, m, d);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, y);
  for (auto n = r.ptr - buf; n < 4; ++n)
    out += '0';
  out.append(buf, r.ptr);
  out += '-';
  two(out, m);
  out += '-';
  two(out, d);
  out += ' ';
  auto secs = static_cast<unsigned>(rest / 1000);
  two(out, secs / 3600);
  out += ':';
  two(out, secs / 60 % 60);
  out += ':';
  two(out, secs % 60);
  out += '.';
  auto milli = static_cast<unsigned>(rest % 1000);
  out += static_cast<char>('0' + milli / 100);
  two(out, milli % 100);
  out += "+00";
}

} // namespace

bool valid_extracted_at(int64_t ms) {
  return ms >= min_ms && ms < max_ms;
}

row_writer::row_writer() : rng_(std::random_device{}()) {}

void row_writer::append_uuid(std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  uint64_t hi = rng_(), lo = rng_();
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{8} << 60); // variant 10
  char buf[36];
  int at = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20)
      buf[at++] = '-';
    uint64_t word = i < 16 ? hi : lo;
    buf[at++] = hex[(word >> (60 - 4 * (i % 16))) & 15];
  }
  out.append(buf, 36);
}

size_t row_writer::append(std::string& out, const stream_table& t,
                          const airbyte::record& r, bool& null_key) {
  append_uuid(out);
  out += '\t';
  append_timestamp(out, r.emitted_at_ms);
  out += '\t';
  char buf[24];
  auto n = std::to_chars(buf, buf + sizeof buf, t.config().generation_id);
  out.append(buf, n.ptr);
  out += '\t';
  copy_text::append_json(out, r.data);
  nulled_.clear();
  auto& key = t.config().primary_key;
  for (auto& c : t.columns()) {
    out += '\t';
    const json* v = nullptr;
    if (r.data.is_object()) {
      auto i = r.data.find(c.field);
      if (i != r.data.end())
        v = &*i;
    }
    auto result = append_cell(out, c.kind, v);
    if (result == cell::mismatch)
      nulled_.push_back(&c.field);
    if (result != cell::value && !key.empty()
        && std::find(key.begin(), key.end(), c.field) != key.end())
      null_key = true;
  }
  for (auto& k : key)
    if (!t.find(k))
      null_key = true;
  out += "\t{\"changes\":[";
  bool first = true;
  auto change = [&](const std::string& field, const char* what,
                    const std::string& reason) {
    if (!first)
      out += ',';
    first = false;
    out += "{\"field\":";
    copy_text::append_json(out, json(field));
    out += ",\"change\":";
    copy_text::append_json(out, json(what));
    out += ",\"reason\":";
    copy_text::append_json(out, json(reason));
    out += '}';
  };
  static const std::string typecast = "DESTINATION_TYPECAST_ERROR";
  for (auto* f : nulled_)
    change(*f, "NULLED", typecast);
  for (auto& c : r.changes)
    change(c.field, c.change.c_str(), c.reason);
  out += "],\"sync_id\":";
  n = std::to_chars(buf, buf + sizeof buf, t.config().sync_id);
  out.append(buf, n.ptr);
  out += "}\n";
  return nulled_.size();
}

} // namespace sophia::actors::pipeline::postgres
