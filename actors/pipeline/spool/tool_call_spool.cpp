#include "actors/pipeline/spool/tool_call_spool.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline/analytics/tool_calls_stream.hpp"
#include "actors/pipeline/spool/results.hpp"
#include "actors/pipeline/spool/spool_file.hpp"
#include "runtime/mcp/call_tool.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace sophia::actors::pipeline::spool {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<spdlog::logger> lg() {
  static auto x = runtime::log::get("spool");
  return x;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

struct spool_state {
  tool_call_spool_options opts;
  spool_file file;
  /// Records not written yet: lost if the node dies now.
  std::vector<std::string> buffer;
  bool flush_armed = false;
  bool shipping = false;
  /// Makes the records' ids unique across restarts of the node.
  std::string boot;
  uint64_t seq = 0;
  // Counters since the spool started.
  uint64_t received = 0, written = 0, write_failed = 0, shipped = 0,
           shipments = 0, ship_failures = 0, unreadable = 0;
  std::string last_error;
  int64_t last_logged_ms = 0;

  explicit spool_state(spool_file f) : file(std::move(f)) {}

  // Logs a failure, at most once a minute (the pipeline may be away long).
  void problem(std::string text) {
    auto t = now_ms();
    if (last_error != text || t - last_logged_ms > 60000) {
      lg()->warn("tool-call spool: {}", text);
      last_logged_ms = t;
    }
    last_error = std::move(text);
  }

  void flush() {
    flush_armed = false;
    if (buffer.empty())
      return;
    auto before = file.dropped();
    if (auto err = file.append(buffer)) {
      write_failed += buffer.size();
      problem(*err + " (" + std::to_string(buffer.size())
              + " tool-call records lost)");
    } else {
      written += buffer.size() - (file.dropped() - before);
      if (file.dropped() > before)
        problem("the spool holds " + std::to_string(file.bytes())
                + " bytes ([pipeline] spool_max_bytes): "
                + std::to_string(file.dropped() - before)
                + " new tool-call records dropped");
    }
    buffer.clear();
  }

  json status() const {
    return {{"dir", file.dir()},
            {"received", received},
            {"buffered", buffer.size()},
            {"written", written},
            {"write_failed", write_failed},
            {"dropped", file.dropped()},
            {"bytes", file.bytes()},
            {"shipped", shipped},
            {"shipments", shipments},
            {"ship_failures", ship_failures},
            {"unreadable", unreadable},
            {"pending", file.pending()},
            {"committed",
             {{"segment", file.committed().segment},
              {"offset", file.committed().offset}}},
            {"last_error", last_error}};
  }
};

using state_ptr = std::shared_ptr<spool_state>;

void ship(caf::event_based_actor* self, const state_ptr& st) {
  if (st->shipping || !st->opts.registry || !st->file.pending())
    return;
  auto batch = st->file.read(st->file.committed(),
                             static_cast<size_t>(st->opts.ship_batch_records));
  if (auto* err = std::get_if<std::string>(&batch)) {
    st->problem(*err);
    return;
  }
  auto& b = std::get<read_batch>(batch);
  std::vector<std::string> messages;
  auto catalog = analytics::tool_calls_catalog();
  std::set<std::string> streams;
  size_t n = 0; // tool calls (each with its result, if any)
  for (auto& line : b.lines) {
    auto data = json::parse(line, nullptr, false);
    if (data.is_discarded() || !data.is_object() || !data.contains("id")) {
      ++st->unreadable;
      continue;
    }
    auto at = analytics::parse_utc_ms(data.value("at", std::string{}));
    record_messages(std::move(data), at >= 0 ? at : now_ms(), messages,
                    catalog, streams);
    ++n;
  }
  auto end = b.end;
  if (messages.empty()) {
    // Only segment ends (or unreadable lines): nothing to send.
    if (!(end == st->file.committed()))
      if (auto err = st->file.commit(end))
        st->problem(*err);
    return;
  }
  messages.push_back(
    analytics::state_message(st->opts.node, end.segment, end.offset));
  st->shipping = true;
  runtime::mcp::call_tool(
    self, st->opts.registry, "mcp.pipeline",
    {.tool = "ingest",
     .arguments = {{"messages", std::move(messages)},
                   {"catalog", std::move(catalog)},
                   {"source", "spool-" + st->opts.node}},
     .deadline = std::chrono::minutes{2},
     .caller = "spool:" + st->opts.node},
      [self, st, end, n](json&) {
        st->shipping = false;
        // Acknowledged: committed by the pipeline with its STATE.
        if (auto err = st->file.commit(end)) {
          st->problem(*err);
          return;
        }
        st->shipped += n;
        ++st->shipments;
        st->last_error.clear();
        if (st->file.pending())
          self->send(self, atoms::ship::value, true);
      },
      [st](caf::error& err) {
        st->shipping = false;
        ++st->ship_failures;
        if (runtime::code_of(err) == runtime::errc::call_failed)
          st->problem("pipeline.ingest failed: " + runtime::detail_of(err));
        else
          st->problem("the pipeline is unreachable (" + runtime::detail_of(err)
                      + "); the spool keeps the records and retries");
      });
}

// Buffers one record of the edge (a JSON object), with its id first:
// `{"id":"NODE-BOOT-SEQ",` + the edge's fields.
void take(caf::event_based_actor* self, const state_ptr& st,
          const std::string& rec) {
  ++st->received;
  auto id = st->opts.node + "-" + st->boot + "-" + std::to_string(++st->seq);
  if (rec.size() < 2 || rec.front() != '{')
    return;
  auto body = rec.substr(1);
  auto first = body.find_first_not_of(" \t\r");
  bool empty = first != std::string::npos && body[first] == '}';
  auto line = "{\"id\":" + json(id).dump() + (empty ? "" : ",") + body;
  // One line per record: a raw newline would split it.
  if (line.find('\n') != std::string::npos)
    return;
  st->buffer.push_back(std::move(line));
  if (st->buffer.size() >= static_cast<size_t>(st->opts.fsync_records)) {
    st->flush();
  } else if (!st->flush_armed) {
    st->flush_armed = true;
    self->delayed_send(self, std::chrono::milliseconds{st->opts.fsync_ms},
                       atoms::flush::value);
  }
}

caf::behavior spool_impl(caf::event_based_actor* self, state_ptr st) {
  // A clean stop writes what is buffered.
  self->attach_functor([st] { st->flush(); });
  self->set_default_handler(caf::drop);
  self->send(self, atoms::ship::value);
  auto interval = std::chrono::milliseconds{st->opts.ship_interval_ms};
  return {
    [self, st](atoms::record, const std::string& rec) { take(self, st, rec); },
    // With the answer: its usage and result join the record (parsed here,
    // off the edge's thread).
    [self, st](atoms::record, const std::string& rec, const std::string& answer) {
      auto doc = json::parse(rec, nullptr, false);
      if (!doc.is_object())
        return take(self, st, rec);
      add_answer(doc, answer,
                 {st->opts.results, static_cast<size_t>(st->opts.results_max_bytes)});
      take(self, st, doc.dump(-1, ' ', false, json::error_handler_t::replace));
    },
    [st](atoms::flush) { st->flush(); },
    // The timer: ships, and comes again.
    [self, st, interval](atoms::ship) {
      ship(self, st);
      self->delayed_send(self, interval, atoms::ship::value);
    },
    // More to ship right after a shipment.
    [self, st](atoms::ship, bool) { ship(self, st); },
    [st](atoms::status) { return st->status().dump(); },
  };
}

} // namespace

caf::expected<caf::actor> spawn_tool_call_spool(caf::actor_system& sys,
                                                tool_call_spool_options opts) {
  auto f = spool_file::open(
    {opts.dir, uint64_t{4} << 20, static_cast<uint64_t>(opts.max_bytes)});
  if (auto* err = std::get_if<std::string>(&f)) {
    // The edge serves on without its records: say so, and why.
    lg()->error("tool-call spool of {}: {}; tool calls are not recorded",
                opts.node, *err);
    auto why = json{{"dir", opts.dir}, {"last_error", *err}}.dump();
    return sys.spawn([why](caf::event_based_actor* self) -> caf::behavior {
      self->set_default_handler(caf::drop);
      return {[why](atoms::status) { return why; }};
    });
  }
  auto st = std::make_shared<spool_state>(std::move(std::get<spool_file>(f)));
  st->opts = std::move(opts);
  char boot[20];
  std::snprintf(boot, sizeof boot, "%llx",
                static_cast<unsigned long long>(
                  std::chrono::system_clock::now().time_since_epoch().count()));
  st->boot = boot;
  lg()->info("tool-call spool of {} in {} ({} bytes waiting)", st->opts.node,
             st->file.dir(), st->file.pending() ? st->file.bytes() : 0);
  // Detached: fsync blocks, and must not hold a scheduler thread.
  return sys.spawn<caf::detached>(spool_impl, std::move(st));
}

std::string spool_dir_of(const runtime::config::cluster_config& cluster,
                         const std::string& node) {
  auto conf_dir = fs::path{cluster.source}.parent_path();
  fs::path base;
  if (!cluster.pipeline.spool_dir.empty()) {
    base = cluster.pipeline.spool_dir;
    if (base.is_relative())
      base = conf_dir / base;
  } else if (auto* env = std::getenv("SOPHIA_RUN_DIR"); env && *env) {
    base = env;
  } else {
    base = conf_dir / ".sophia";
  }
  return (base / node / "tool_calls").string();
}

struct tool_call_sink::impl {
  std::mutex mtx;
  caf::actor spool;
};

tool_call_sink::tool_call_sink() : impl_(std::make_shared<impl>()) {}

void tool_call_sink::set(caf::actor spool) const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->spool = std::move(spool);
}

void tool_call_sink::operator()(std::string record_json,
                                const std::string& answer) const {
  caf::actor to;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    to = impl_->spool;
  }
  if (!to)
    return;
  if (answer.empty() || answer.size() > max_answer_bytes)
    caf::anon_send(to, atoms::record::value, std::move(record_json));
  else
    caf::anon_send(to, atoms::record::value, std::move(record_json), answer);
}

} // namespace sophia::actors::pipeline::spool
