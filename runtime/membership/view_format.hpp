#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/wire/messages.hpp"

namespace sophia::runtime::membership {

/// Renders a membership view as the JSON document of `sophiactl status
/// --json`: `{"cluster", "seen_from", "nodes": [{"name", "host", "port",
/// "roles", "state", "since_ms", "heartbeat_age_ms"}]}` where `since_ms` is
/// the unix time (ms) of the last state change and `heartbeat_age_ms` is null
/// when no heartbeat was ever received. With `running` (roles running now,
/// by node), each node also gets `"running_roles": [...]`.
using running_roles = std::map<std::string, std::vector<std::string>>;
std::string to_json(const wire::membership_view& view,
                    int indent = -1,
                    const running_roles* running = nullptr);

/// Renders a membership view as an aligned text table, ages relative to
/// `now_unix_ms`; with `running`, a RUNNING column shows where roles run.
std::string to_table(const wire::membership_view& view,
                     int64_t now_unix_ms,
                     const running_roles* running = nullptr);

} // namespace sophia::runtime::membership
