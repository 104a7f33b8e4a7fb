#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

/// The model catalog the router chooses from: what each configured AI
/// provider serves (its `models` tool: id, name, context length, price per
/// million prompt and completion tokens), with capabilities. A provider's
/// rows are replaced as a whole by a refresh that succeeds; a refresh that
/// fails keeps the provider's last good rows.
namespace sophia::actors::optimizer {

/// One model on one provider.
struct model_entry {
  std::string provider;
  std::string id;
  std::string name;
  /// USD per million tokens; negative: not published.
  double prompt_usd_per_mtok = -1;
  double completion_usd_per_mtok = -1;
  /// 0: not published.
  int64_t context_length = 0;
  /// `chat`, `embed`, `code`, `vision`, `tools`.
  std::vector<std::string> capabilities;

  bool has(const std::string& capability) const;
  nlohmann::json to_json() const;
};

/// What `ai.models` and the router filter by; empty fields do not filter.
struct model_filter {
  std::string capability;
  std::string provider;
  /// A case-insensitive part of the id or name.
  std::string search;
  /// Only these ids.
  std::vector<std::string> ids;
  /// Only models whose prompt price is at most this (USD per million).
  std::optional<double> max_prompt_usd_per_mtok;
};

class catalog {
public:
  /// Replaces `provider`'s rows with `rows` (the `models` array of its
  /// `models` tool); returns how many were taken. Capabilities: `chat` for
  /// every model, `embed` instead for ids that name embeddings, plus
  /// `code` and `vision` for ids that say so.
  size_t set_provider(const std::string& provider, const nlohmann::json& rows);

  /// Adds or replaces one entry (models a provider serves but does not
  /// list, and overrides).
  void put(model_entry e);

  /// The entries that pass `f`, by provider then id.
  std::vector<model_entry> find(const model_filter& f) const;

  size_t size() const;
  /// Providers with rows.
  std::vector<std::string> providers() const;

private:
  std::map<std::string, std::map<std::string, model_entry>> by_provider_;
};

} // namespace sophia::actors::optimizer
