#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

/// The model catalog the router chooses from: what each configured AI
/// provider serves (its `models` tool: id, name, context length, price per
/// million prompt and completion tokens), with capabilities, under what
/// `cluster.conf` says of models (`[models."ID"]`: prices, context,
/// capabilities, prior qualities per task type, models a provider serves
/// without listing them). A provider's rows are replaced as a whole by a
/// refresh that succeeds; a refresh that fails keeps the provider's last
/// good rows.
namespace sophia::actors::optimizer {

/// What is known of a model wherever it is served: its prices, context,
/// capabilities and prior qualities. Negative, 0 and empty: not known (in
/// an override: keep what the provider listed).
struct model_facts {
  /// USD per million tokens.
  double prompt_usd_per_mtok = -1;
  double completion_usd_per_mtok = -1;
  int64_t context_length = 0;
  /// `chat`, `embed`, `code`, `vision`, `tools`.
  std::vector<std::string> capabilities;
  /// The configuration's prior probability of a good answer, by task type
  /// (`simple`, `complex`, `code`, `analysis`); absent: from the price.
  std::map<std::string, double> prior_quality;

  /// Takes what `o` knows, keeping the rest.
  void override_with(const model_facts& o);

  bool operator==(const model_facts&) const = default;
};

/// One model on one provider.
struct model_entry : model_facts {
  std::string provider;
  std::string id;
  std::string name;
  /// Whether `[models."ID"]` changed or added it.
  bool configured = false;

  /// The prior quality for `task_type`, or -1.
  double prior_for(const std::string& task_type) const;

  bool has(const std::string& capability) const;
  nlohmann::json to_json() const;
};

/// `[models."ID"]`: what the configuration says of one model.
struct model_override : model_facts {
  std::string id;
  /// Empty: every provider listing `id`; else that provider's entry, added
  /// when it does not list the model.
  std::string provider;

  bool operator==(const model_override&) const = default;
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

  /// Adds or replaces one entry as if its provider had listed it.
  void put(model_entry e);

  /// Replaces the configuration's overrides (the file was reloaded);
  /// returns whether they changed.
  bool set_overrides(std::vector<model_override> xs);

  /// The entries that pass `f`, by provider then id.
  std::vector<model_entry> find(const model_filter& f) const;

  size_t size() const;
  /// Providers with rows.
  std::vector<std::string> providers() const;

private:
  /// Builds `by_provider_` from what the providers listed and the overrides.
  void merge();

  using table = std::map<std::string, std::map<std::string, model_entry>>;
  /// What the providers listed, and the catalog with the overrides applied.
  table listed_;
  table by_provider_;
  std::vector<model_override> overrides_;
};

} // namespace sophia::actors::optimizer
