#include "actors/pipeline/ingest_session.hpp"

#include <system_error>

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
    count([&](ingest_report& r) {
      --r.replayed;
      ++r.still_dead;
      if (r.still_dead_reasons.size() < 10)
        r.still_dead_reasons.push_back(std::move(reason));
    });
    return;
  }
  count([](ingest_report& r) { ++r.dead_letters; });
  batch_.bytes += line.size();
  batch_.dead_letters.push_back(
    {std::move(reason), std::string{line}, std::move(stream)});
}

std::optional<std::string> ingest_session::line(std::string_view text) {
  if (blocked_)
    return std::string{"an earlier batch is not committed yet: flush first"};
  count([](ingest_report& r) { ++r.lines; });
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
      count([](ingest_report& rep) { ++rep.records; });
      batch_.bytes += text.size();
      batch_.records.push_back(std::move(*r));
      if (batch_.records.size() >= limits_.batch_records
          || batch_.bytes >= limits_.batch_bytes)
        return close();
    }
  } else if (auto* s = std::get_if<airbyte::state>(&msg)) {
    batch_.state = std::move(*s);
    return close();
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
  count([](ingest_report& r) { ++r.replayed; });
  replaying_ = true;
  auto err = line(text);
  replaying_ = false;
  return err;
}

ingest_session::~ingest_session() {
  // The writer outlives the session, but not necessarily long after it.
  if (inflight_.valid())
    inflight_.wait();
}

postgres::batch ingest_session::recycle(postgres::batch& used) {
  // Regrowing the records from nothing each batch asks malloc for ever
  // larger blocks.
  auto records = std::move(used.records);
  records.clear();
  postgres::batch fresh;
  fresh.records = std::move(records);
  return fresh;
}

ingest_report ingest_session::report() const {
  std::lock_guard<std::mutex> guard{report_lock_};
  return report_;
}

std::optional<std::string> ingest_session::commit(const postgres::batch& b) {
  auto r = writer_.commit(b);
  if (auto* err = std::get_if<std::string>(&r))
    return std::move(*err);
  auto& st = std::get<postgres::commit_stats>(r);
  count([&](ingest_report& rep) {
    ++rep.commits;
    rep.rows += st.rows;
    rep.nulled += st.nulled;
    rep.swapped += st.swapped;
    if (b.state) {
      ++rep.states;
      rep.last_state = b.state->raw;
    }
  });
  if (committed_)
    committed_(b);
  return std::nullopt;
}

std::optional<std::string> ingest_session::settle() {
  if (!sent_)
    return std::nullopt;
  auto err = inflight_.valid() ? inflight_.get() : commit(*sent_);
  if (err) {
    blocked_ = true;
    return err;
  }
  blocked_ = false;
  spare_ = std::move(sent_->records);
  spare_.clear();
  sent_.reset();
  return std::nullopt;
}

std::optional<std::string> ingest_session::close() {
  if (!limits_.overlap)
    return flush();
  if (auto err = settle())
    return err;
  if (batch_.empty())
    return std::nullopt;
  // Only the commit's thread touches the writer until it is settled; this
  // one only parses into the next batch.
  sent_.emplace(std::move(batch_));
  batch_ = {};
  batch_.records = std::move(spare_);
  try {
    inflight_ = std::async(std::launch::async, [this] { return commit(*sent_); });
  } catch (const std::system_error&) {
    // No thread to be had: this one commits it.
    return settle();
  }
  return std::nullopt;
}

std::optional<std::string> ingest_session::flush() {
  if (auto err = settle())
    return err;
  if (batch_.empty()) {
    blocked_ = false;
    return std::nullopt;
  }
  if (auto err = commit(batch_)) {
    blocked_ = true;
    return err;
  }
  blocked_ = false;
  batch_ = recycle(batch_);
  return std::nullopt;
}

} // namespace sophia::actors::pipeline
