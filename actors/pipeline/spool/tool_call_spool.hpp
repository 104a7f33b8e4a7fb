#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

namespace sophia::runtime::config {
struct cluster_config;
} // namespace sophia::runtime::config

/// The tool-call spool of an edge node: the edge hands it one JSON object
/// per finished MCP tool call (fire and forget, through a
/// `tool_call_sink`); the spool actor (detached: it fsyncs) buffers them,
/// appends them to its spool files (`spool_file.hpp`) every `fsync_ms` or
/// every `fsync_records` records, whichever comes first, and ships what
/// the files hold to the pipeline role wherever it runs: `pipeline.ingest`
/// through the registry (`mcp.pipeline`), as RECORDs of the stream
/// `sophia.tool_calls` (`analytics/tool_calls_stream.hpp`) and a STATE
/// with the spool position. Only once the pipeline answered does the spool
/// commit that position and delete the segments it shipped whole.
///
/// What can be lost: the records still buffered when the node dies (kill
/// -9, power): those younger than `fsync_ms` (and fewer than
/// `fsync_records`). Everything flushed survives and is shipped after a
/// restart; a record shipped twice (the node died between the pipeline's
/// commit and the spool's) is absorbed by the stream's dedup on `id`.
/// While the pipeline is unreachable the files grow, up to `max_bytes`;
/// beyond it new records are dropped and counted (`status`), the older
/// ones wait to be shipped.
namespace sophia::actors::pipeline::spool {

namespace atoms {
/// `(tcrecord, json)`: one tool call (a JSON object) from the edge;
/// `(tcrecord, json, answer)`: with the JSON-RPC answer of a call that
/// succeeded (see `results.hpp`).
using record = caf::atom_constant<caf::atom("tcrecord")>;
/// `(tcflush)`: the fsync timer (also: flush now).
using flush = caf::atom_constant<caf::atom("tcflush")>;
/// `(tcship)`: the shipping timer (also: ship now).
using ship = caf::atom_constant<caf::atom("tcship")>;
/// `(tcstatus)` -> JSON text: the spool's counters and position.
using status = caf::atom_constant<caf::atom("tcstatus")>;
} // namespace atoms

struct tool_call_spool_options {
  /// Names the records' node, their ids and the spool's STATE source.
  std::string node;
  /// This node's spool directory (see `spool_dir_of`).
  std::string dir;
  int64_t fsync_ms = 200;
  int64_t fsync_records = 1000;
  int64_t max_bytes = int64_t{256} << 20;
  int64_t ship_interval_ms = 1000;
  int64_t ship_batch_records = 2000;
  /// Keep each successful call's structuredContent as a record of its
  /// tool's stream (`results.hpp`), up to `results_max_bytes` of JSON.
  bool results = true;
  int64_t results_max_bytes = 262144;
  /// This node's registry; invalid: the spool only writes (tests).
  caf::actor registry;
};

/// Opens the spool directory and spawns the spool actor. When the
/// directory cannot be created or read it logs why and spawns an actor
/// that drops the records: the edge serves on either way.
caf::expected<caf::actor> spawn_tool_call_spool(caf::actor_system& sys,
                                                tool_call_spool_options opts);

/// The spool directory of `node`: `[pipeline] spool_dir` (relative to
/// cluster.conf's directory), else $SOPHIA_RUN_DIR, else `.sophia` next
/// to cluster.conf; then `NODE/tool_calls`.
std::string spool_dir_of(const runtime::config::cluster_config& cluster,
                         const std::string& node);

/// Where the edge hands its records: a thread-safe handle on the spool
/// actor of the moment (the actor restarts; the edge keeps its sink).
/// Calling it sends one asynchronous message, or nothing while no spool
/// runs. `answer` (the JSON-RPC answer of a successful call, else empty)
/// is copied along when it is at most `max_answer_bytes`: a larger one
/// is neither parsed nor kept.
class tool_call_sink {
public:
  static constexpr size_t max_answer_bytes = size_t{8} << 20;

  tool_call_sink();
  void set(caf::actor spool) const;
  void operator()(std::string record_json,
                  const std::string& answer = {}) const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace sophia::actors::pipeline::spool
