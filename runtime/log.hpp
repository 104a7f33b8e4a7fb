#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace sophia::runtime::log {

/// Sets up logging for this process: every module logs to stderr through one
/// sink, each line tagged with `process` (the node name) and the module.
/// `level` is one of trace, debug, info, warn, error, off.
void init(const std::string& process, const std::string& level);

/// Returns the logger of `module` (created on first use).
std::shared_ptr<spdlog::logger> get(const std::string& module);

} // namespace sophia::runtime::log
