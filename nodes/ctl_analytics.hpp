#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nodes/ctl_pipeline.hpp"

/// sophiactl's analytics command, on the MCP tool `analytics.summary`:
///   sophiactl analytics summary [--period minute|hour|day] [--since TIME]
///                               [--group-by service|tool|caller] [--json]
namespace sophia::nodes {

struct analytics_args {
  std::string period = "hour";
  std::string since;
  std::string group_by;
  int64_t max_rows = 0;
  bool json = false;
};

/// Exit codes as sophiactl's: 0 ok, 1 failed, 2 bad usage.
int ctl_analytics(const std::vector<std::string>& operands,
                  const analytics_args& a, const tool_caller& call);

} // namespace sophia::nodes
