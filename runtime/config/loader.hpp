#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/config/cluster_config.hpp"

namespace sophia::runtime::config {

/// One problem found in a configuration file.
struct diagnostic {
  source_position position;
  std::string message;

  /// Renders `FILE:LINE:COL: error: MESSAGE`.
  std::string to_string() const;
};

/// Either a valid configuration or every problem found in it.
using load_result = std::variant<cluster_config, std::vector<diagnostic>>;

/// Parses and validates TOML text; `file` names it in diagnostics.
load_result parse(std::string_view text, const std::string& file);

/// Reads and validates the file at `path` (an unreadable file is a diagnostic).
load_result load(const std::string& path);

/// Loads `path` for a command-line tool: on failure every diagnostic is
/// written to `err`, one `FILE:LINE:COL: error: ...` line each, and nothing
/// is returned (the tool then exits with 2). With a non-empty `node`, a
/// missing `[[node]]` of that name is reported the same way.
std::optional<cluster_config> load_or_report(const std::string& path,
                                             const std::string& node,
                                             std::ostream& err);

/// Renders the effective configuration (defaults filled in) as TOML, with
/// literal secrets replaced by `<redacted>`; secret references are kept.
std::string render_effective(const cluster_config& cfg);

} // namespace sophia::runtime::config
