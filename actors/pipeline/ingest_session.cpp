#include "actors/pipeline/ingest_session.hpp"

#include "actors/pipeline/postgres/rows.hpp"

namespace sophia::actors::pipeline {

ingest_session::ingest_session(postgres::writer& w,
                               airbyte::configured_catalog catalog,
                               ingest_limits limits)
  : writer_(w), catalog_(std::move(catalog)), limits_(limits) {}

void ingest_session::dead(std::string reason, std::string_view line,
                          std::string stream) {
  if (replaying_) {
    // Still not readable: the dead letter stays as it is, waiting.
    batch_.replayed.pop_back();
    --report_.replayed;
    ++report_.still_dead;
    if (report_.still_dead_reasons.size() < 10)
      report_.still_dead_reasons.push_back(std::move(reason));
    return;
  }
  ++report_.dead_letters;
  batch_.bytes += line.size();
  batch_.dead_letters.push_back(
    {std::move(reason), std::string{line}, std::move(stream)});
}

std::optional<std::string> ingest_session::line(std::string_view text) {
  if (blocked_)
    return std::string{"an earlier batch is not committed yet: flush first"};
  ++report_.lines;
  if (airbyte::is_blank(text))
    return std::nullopt;
  auto parsed = airbyte::parse_message(text, limits_.max_line_bytes);
  if (auto* err = std::get_if<std::string>(&parsed)) {
    // An over-long line is kept in part: enough to find it at the source.
    dead(*err, text.substr(0, std::min(text.size(), size_t{64} << 10)));
    return std::nullopt;
  }
  auto& msg = std::get<airbyte::message>(parsed);
  if (auto* r = std::get_if<airbyte::record>(&msg)) {
    if (!catalog_.find(r->stream))
      dead("stream " + r->stream.text() + " is not in the configured catalog",
           text, r->stream.text());
    else if (ended_.count(r->stream))
      dead("a RECORD after the stream's final status", text,
           r->stream.text());
    else if (!postgres::valid_extracted_at(r->emitted_at_ms))
      dead("/record/emitted_at: " + std::to_string(r->emitted_at_ms)
             + " ms is outside PostgreSQL's timestamps (years 1 to 294275)",
           text, r->stream.text());
    else {
      ++report_.records;
      batch_.bytes += text.size();
      batch_.records.push_back(std::move(*r));
      if (batch_.records.size() >= limits_.batch_records
          || batch_.bytes >= limits_.batch_bytes)
        return flush();
    }
  } else if (auto* s = std::get_if<airbyte::state>(&msg)) {
    batch_.state = std::move(*s);
    return flush();
  } else if (auto* st = std::get_if<airbyte::stream_status>(&msg)) {
    using v = airbyte::stream_status::value;
    if (st->status == v::complete || st->status == v::incomplete) {
      ended_.insert(st->stream);
      batch_.statuses.push_back(*st);
    }
  }
  return std::nullopt;
}

std::optional<std::string> ingest_session::replay(int64_t id,
                                                 std::string_view text) {
  if (blocked_)
    return std::string{"an earlier batch is not committed yet: flush first"};
  // In the batch before the line: a STATE or a full batch commits it at
  // once, with the mark.
  batch_.replayed.push_back(id);
  ++report_.replayed;
  replaying_ = true;
  auto err = line(text);
  replaying_ = false;
  return err;
}

std::optional<std::string> ingest_session::flush() {
  if (batch_.empty())
    return std::nullopt;
  auto r = writer_.commit(batch_);
  if (auto* err = std::get_if<std::string>(&r)) {
    blocked_ = true;
    return *err;
  }
  blocked_ = false;
  auto& st = std::get<postgres::commit_stats>(r);
  ++report_.commits;
  report_.rows += st.rows;
  report_.nulled += st.nulled;
  report_.swapped += st.swapped;
  if (batch_.state) {
    ++report_.states;
    report_.last_state = batch_.state->raw;
  }
  if (committed_)
    committed_(batch_);
  // The next batch starts empty but keeps the records' room: regrowing it
  // from nothing each batch asks malloc for ever larger blocks.
  auto records = std::move(batch_.records);
  records.clear();
  batch_ = {};
  batch_.records = std::move(records);
  return std::nullopt;
}

} // namespace sophia::actors::pipeline
