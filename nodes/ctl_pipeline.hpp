#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

/// sophiactl's pipeline commands, on top of a way to call one MCP tool of
/// the cluster:
///   sophiactl ingest --airbyte FILE|- --catalog CATALOG [--source NAME]
///   sophiactl pipeline status
///   sophiactl pipeline query SQL [--max-rows N]
///   sophiactl pipeline tail SCHEMA.TABLE [--max-rows N]
///   sophiactl pipeline search QUERY [--k N]   (pipeline.search)
///   sophiactl pipeline check|discover|sync SOURCE   ([pipeline.sources.NAME])
///   sophiactl pipeline replay-dead-letters SOURCE [--catalog FILE] [--max-rows N]
namespace sophia::nodes {

/// Calls tool `name` of service `service` with `arguments`, waiting at most
/// `deadline_ms`; the tool's CallToolResult, or why the call failed.
using tool_caller = std::function<caf::expected<nlohmann::json>(
  const std::string& service, const std::string& name,
  const nlohmann::json& arguments, int64_t deadline_ms)>;

struct ingest_args {
  std::string airbyte; ///< a file of Airbyte JSON lines, or "-"
  std::string catalog; ///< a ConfiguredAirbyteCatalog file
  std::string source = "sophiactl";
  /// Bytes of messages per call: a large file goes in pieces, each
  /// committed (with its STATEs) before the next is sent.
  size_t chunk_bytes = 4 << 20;
  bool json = false;
};

/// Exit codes as sophiactl's: 0 ok, 1 failed, 2 bad usage or input.
int ctl_ingest(const ingest_args& a, const tool_caller& call);

/// `catalog_file`: replay-dead-letters' --catalog (empty: the source's).
int ctl_pipeline(const std::vector<std::string>& operands, int64_t max_rows,
                 bool json, const tool_caller& call,
                 const std::string& catalog_file = {});

} // namespace sophia::nodes
