#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

int sophia_fuzz_mcp_request(const uint8_t* data, size_t size);
int sophia_fuzz_http_request(const uint8_t* data, size_t size);
int sophia_fuzz_config(const uint8_t* data, size_t size);
int sophia_fuzz_wire(const uint8_t* data, size_t size);
int sophia_fuzz_json_schema(const uint8_t* data, size_t size);

namespace sophia::fuzz {

/// One fuzz harness, as `tools/sophia fuzz --list` shows it.
struct target {
  const char* name;
  const char* what;
  int (*run)(const uint8_t*, size_t);
};

/// Every harness: the one list (keep tools/sophia's fuzz targets in sync).
inline const std::vector<target>& targets() {
  static const std::vector<target> xs{
    { "mcp_request",
      "MCP request bodies through JSON-RPC framing and the engine's methods",
      sophia_fuzz_mcp_request },
    { "http_request",
      "raw HTTP requests through Beast's parser and the edge's checks",
      sophia_fuzz_http_request },
    { "config",
      "cluster.conf text through the loader and back",
      sophia_fuzz_config },
    { "wire",
      "bytes through every Cap'n Proto decoder of a wire message",
      sophia_fuzz_wire },
    { "json_schema",
      "a schema and an instance: compile, then validate",
      sophia_fuzz_json_schema },
  };
  return xs;
}

} // namespace sophia::fuzz
