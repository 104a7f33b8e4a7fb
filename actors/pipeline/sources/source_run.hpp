#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline/sources/process.hpp"
#include "actors/pipeline/sources/source_spec.hpp"

/// One Airbyte source as a command: its verbs (`check`, `discover`,
/// `read`) with their files, and their failures as text that names the
/// source, the command, how it ended and the tail of its stderr.
namespace sophia::actors::pipeline::sources {

/// The config with its secrets resolved, and those secrets (to keep them
/// out of error texts).
struct resolved_config {
  nlohmann::json config;
  std::vector<std::string> secrets;
};

/// Resolves the secret references of `s.config_json`; an error names the
/// source and the value's path (`config.credentials.token: env:X: ...`).
std::variant<resolved_config, std::string> resolve_config(const source_spec& s);

/// The catalog file's text; an error names the source and the file.
std::variant<std::string, std::string> read_catalog(const source_spec& s);

/// Runs `check`: the CONNECTION_STATUS's `connectionStatus` ({status,
/// message?}); an error when the command failed or printed none.
std::variant<nlohmann::json, std::string> check(const source_spec& s);

/// Runs `discover`: the CATALOG message's `catalog`.
std::variant<nlohmann::json, std::string> discover(const source_spec& s);

/// How a `read` went: ok, or the failure's text.
struct read_outcome {
  run_result run;
  /// Empty when the command ran to exit status 0.
  std::string error;
};

/// Runs `read` with `catalog_text` and `state` (its --state file only when
/// not null), handing each stdout line to `on_line` as it comes.
std::variant<read_outcome, std::string>
read(const source_spec& s, const std::string& catalog_text,
     const nlohmann::json& state, const line_handler& on_line,
     size_t max_line_bytes);

/// "source NAME: `python3 main.py read ...` exit status 2; stderr: ..."
std::string failure_text(const source_spec& s, const std::string& verb,
                         const run_result& r,
                         const std::vector<std::string>& secrets,
                         const std::string& trace_error = "");

} // namespace sophia::actors::pipeline::sources
