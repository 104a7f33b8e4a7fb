#include "runtime/log.hpp"

#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace sophia::runtime::log {

namespace {

std::mutex mtx;
std::string process_name = "sophia";
auto level = spdlog::level::info;

} // namespace

void init(const std::string& process, const std::string& lvl) {
  std::lock_guard<std::mutex> guard{ mtx };
  process_name = process;
  level = spdlog::level::from_str(lvl);
  spdlog::drop_all();
}

std::shared_ptr<spdlog::logger> get(const std::string& module) {
  std::lock_guard<std::mutex> guard{ mtx };
  auto name = process_name + "/" + module;
  if (auto existing = spdlog::get(name)) return existing;
  // stderr only: stdout belongs to command output (and to MCP over stdio).
  auto logger = spdlog::stderr_logger_mt(name);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  logger->set_level(level);
  return logger;
}

} // namespace sophia::runtime::log
