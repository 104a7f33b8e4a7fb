#pragma once

#include <cstddef>
#include <cstdio>

#include <caf/actor.hpp>

namespace sophia::actors::edge {

/// Runs MCP's stdio transport on the calling thread until `in` ends: reads
/// newline-delimited JSON-RPC messages from `in` and hands them to `engine`,
/// whose answers and notifications go to `out`, one message per line.
/// Nothing else may write to `out` (logs go to stderr). A line longer than
/// `max_line` bytes is answered with an error and skipped.
void run_stdio(caf::actor engine,
               size_t max_line,
               std::FILE* in = stdin,
               std::FILE* out = stdout);

} // namespace sophia::actors::edge
