#pragma once

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

/// Renders the effective configuration (defaults filled in) as TOML, with
/// literal secrets replaced by `<redacted>`; secret references are kept.
std::string render_effective(const cluster_config& cfg);

} // namespace sophia::runtime::config
