#include "actors/pipeline/redis/writer.hpp"

#include "actors/pipeline/redis/keys.hpp"
#include "actors/pipeline/redis/latest_script.hpp"

namespace sophia::actors::pipeline::redis {

namespace {

std::string cursor_json(const table_batch& b, const table_record& r) {
  if (!b.cursor || !r.data.is_object())
    return "null";
  auto it = r.data.find(*b.cursor);
  return it == r.data.end() ? "null" : compact(*it);
}

} // namespace

writer::writer(writer_options opts)
  : opts_(std::move(opts)),
    ttl_text_(std::to_string(opts_.ttl.count() > 0 ? opts_.ttl.count() : 0)),
    max_len_text_(std::to_string(opts_.stream_max_len)) {
  if (opts_.chunk_commands < 2)
    opts_.chunk_commands = 2; // a record's two commands go together
}

writer::~writer() = default;
writer::writer(writer&&) noexcept = default;

std::optional<std::string> writer::connect() {
  // Once open, the connection reconnects by itself on the next call.
  if (redis_)
    return std::nullopt;
  auto c = connection::open(opts_.redis);
  if (auto* err = std::get_if<std::string>(&c))
    return *err;
  redis_ = std::make_unique<connection>(std::move(std::get<connection>(c)));
  sha_.clear();
  return std::nullopt;
}

std::optional<std::string> writer::load_script() {
  auto r = redis_->command({"SCRIPT", "LOAD", latest_script()});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& rep = std::get<reply>(r);
  if (!rep.is(reply::kind::string))
    return "redis " + redis_->where().text()
           + ": SCRIPT LOAD: unexpected reply (not a SHA1)";
  sha_ = rep.text;
  return std::nullopt;
}

void writer::queue_latest(const table_batch& b, const table_record& r,
                          const std::string& data) {
  auto key = latest_key(b.table, key_json(r.data, b.key));
  auto cursor = cursor_json(b, r);
  auto ms = std::to_string(r.emitted_at_ms);
  redis_->append({"EVALSHA", sha_, "1", key, data, cursor, ms,
                  r.deleted ? "1" : "0", ttl_text_});
  steps_.push_back({true, &r});
}

std::variant<write_stats, std::string> writer::write(const table_batch& b) {
  if (b.records.empty())
    return write_stats{};
  if (b.table.empty())
    return std::string{"redis writer: a batch without a table name"};
  if (auto err = connect())
    return *err;
  if (!b.key.empty() && sha_.empty())
    if (auto err = load_script())
      return *err;
  auto stream = events_key(b.table);
  steps_.clear();
  in_flight_.clear();
  progress p;
  // An I/O error drops the connection (and what was in flight): the
  // write ends there. The server may have forgotten the script.
  auto lost = [&](std::string err) {
    sha_.clear();
    in_flight_.clear();
    steps_.clear();
    return std::variant<write_stats, std::string>{err + " (writing "
                                                  + b.table + ")"};
  };
  for (auto& r : b.records) {
    auto data = compact(r.data);
    if (!b.key.empty())
      queue_latest(b, r, data);
    // Keyless tables get `[]`: what key_json gives for no fields.
    auto key = b.key.empty() ? std::string{"[]"} : key_json(r.data, b.key);
    auto ms = std::to_string(r.emitted_at_ms);
    std::string_view op = r.deleted ? "delete" : "insert";
    if (opts_.stream_max_len > 0)
      redis_->append({"XADD", stream, "MAXLEN", "~", max_len_text_, "*", "op",
                      op, "key", key, "data", data, "emitted_at", ms});
    else
      redis_->append({"XADD", stream, "*", "op", op, "key", key, "data", data,
                      "emitted_at", ms});
    steps_.push_back({false, &r});
    if (steps_.size() < opts_.chunk_commands)
      continue;
    if (auto err = send_chunk())
      return lost(*err);
    if (in_flight_.size() > 1)
      if (auto err = receive_chunk(b, p, true))
        return lost(*err);
    if (p.failure)
      break; // no more chunks; those in flight are read below
  }
  if (!p.failure && !steps_.empty())
    if (auto err = send_chunk())
      return lost(*err);
  steps_.clear();
  if (auto err = drain(b, p, true))
    return lost(*err);
  if (p.failure)
    return *p.failure;
  if (p.again.empty())
    return p.stats;
  // In their order, after the events already written; the script's
  // comparison does not depend on the order anyway (but for exact ties).
  if (auto err = load_script())
    return *err;
  auto again = std::move(p.again);
  p.again.clear();
  for (auto* r : again) {
    queue_latest(b, *r, compact(r->data));
    if (steps_.size() >= opts_.chunk_commands)
      if (auto err = send_chunk(); err || (err = drain(b, p, false)))
        return lost(*err);
  }
  if (auto err = send_chunk(); err || (err = drain(b, p, false)))
    return lost(*err);
  if (p.failure)
    return *p.failure;
  return p.stats;
}

std::optional<std::string> writer::send_chunk() {
  if (steps_.empty())
    return std::nullopt;
  in_flight_.push_back(std::move(steps_));
  steps_.clear();
  return redis_->send();
}

std::optional<std::string> writer::drain(const table_batch& b, progress& p,
                                         bool may_reload) {
  while (!in_flight_.empty())
    if (auto err = receive_chunk(b, p, may_reload))
      return err;
  return std::nullopt;
}

std::optional<std::string> writer::receive_chunk(const table_batch& b,
                                                 progress& p,
                                                 bool may_reload) {
  auto steps = std::move(in_flight_.front());
  in_flight_.pop_front();
  auto replies = redis_->receive(steps.size());
  if (auto* err = std::get_if<std::string>(&replies))
    return *err;
  auto& rs = std::get<std::vector<reply>>(replies);
  auto fail = [&](const step& s, const std::string& why) {
    if (p.failure)
      return;
    auto what = s.latest ? "EVALSHA "
                             + latest_key(b.table,
                                          key_json(s.record->data, b.key))
                         : "XADD " + events_key(b.table);
    p.failure = "redis " + redis_->where().text() + ": " + what + ": " + why;
  };
  auto& st = p.stats;
  for (size_t i = 0; i < steps.size() && i < rs.size(); ++i) {
    auto& s = steps[i];
    auto& r = rs[i];
    if (r.is(reply::kind::error)) {
      if (s.latest && may_reload && r.text.starts_with("NOSCRIPT"))
        p.again.push_back(s.record);
      else
        fail(s, r.text);
      continue;
    }
    if (!s.latest) {
      if (r.is(reply::kind::string))
        ++st.events;
      else
        fail(s, "unexpected reply (not a stream id)");
      continue;
    }
    switch (r.is(reply::kind::integer) ? r.integer : -1) {
      case static_cast<int>(latest_outcome::written): ++st.written; break;
      case static_cast<int>(latest_outcome::stale): ++st.skipped; break;
      case static_cast<int>(latest_outcome::deleted): ++st.deleted; break;
      default: fail(s, "unexpected reply from the script");
    }
  }
  return std::nullopt;
}

} // namespace sophia::actors::pipeline::redis
