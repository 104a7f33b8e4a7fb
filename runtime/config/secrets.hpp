#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

/// Secret references of `cluster.conf`, resolved when a node starts and on
/// reload. Resolved values live in memory only: they are never logged,
/// returned by a tool or printed by `--check` (which shows the reference).
namespace sophia::runtime::config {

/// Resolves `ref`:
/// - `env:VAR`: the environment variable VAR;
/// - `file:PATH`: the file's contents, without trailing newlines;
/// - `esc:ORG/PROJECT/ENV#path.to.value`: the value at that path of
///   `esc env open ORG/PROJECT/ENV --format json` (the Pulumi ESC CLI);
/// - anything else is a literal secret, returned as is.
///
/// Errors (`errc::bad_config`) name the reference and what to do, never a
/// value: "env:OPENROUTER_API_KEY: the environment variable is not set",
/// "esc:acme/ai/prod#openrouter.key: the Pulumi ESC CLI `esc` is not
/// installed (...)".
caf::expected<std::string> resolve_secret(
  std::string_view ref,
  std::chrono::milliseconds esc_timeout = std::chrono::seconds{ 20 });

/// Whether resolving `ref` failed only because nothing was set (an unset
/// environment variable, a missing file): the service is then "not
/// configured" rather than misconfigured.
bool is_unset_secret(std::string_view ref);

/// What an operator sets to provide `ref`, e.g. "export OPENROUTER_API_KEY"
/// or "write the key to /etc/sophia/openrouter.key".
std::string how_to_set(std::string_view ref);

/// Replaces every occurrence of each of `secrets` (those at least 4 bytes
/// long) in `text` with `<redacted>`; for error texts that might echo a
/// request.
std::string redact(std::string text, const std::vector<std::string>& secrets);

} // namespace sophia::runtime::config
