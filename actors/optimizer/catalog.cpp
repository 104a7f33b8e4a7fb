#include "actors/optimizer/catalog.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace sophia::actors::optimizer {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) {
    return static_cast<char>(std::tolower(ch));
  });
  return s;
}

bool mentions(const std::string& id, std::initializer_list<const char*> words) {
  auto l = lower(id);
  return std::any_of(words.begin(), words.end(), [&](const char* w) {
    return l.find(w) != std::string::npos;
  });
}

double number_or(const nlohmann::json& row, const char* key, double fallback) {
  auto i = row.find(key);
  return i != row.end() && i->is_number() ? i->get<double>() : fallback;
}

} // namespace

bool model_entry::has(const std::string& capability) const {
  return std::find(capabilities.begin(), capabilities.end(), capability)
         != capabilities.end();
}

double model_entry::prior_for(const std::string& task_type) const {
  auto i = prior_quality.find(task_type);
  return i == prior_quality.end() ? -1 : i->second;
}

nlohmann::json model_entry::to_json() const {
  auto price = [](double x) {
    return x < 0 ? nlohmann::json() : nlohmann::json(x);
  };
  nlohmann::json out{{"id", id},
          {"name", name},
          {"provider", provider},
          {"context_length", context_length > 0 ? nlohmann::json(context_length)
                                                : nlohmann::json()},
          {"prompt_usd_per_mtok", price(prompt_usd_per_mtok)},
          {"completion_usd_per_mtok", price(completion_usd_per_mtok)},
          {"capabilities", capabilities}};
  if (!prior_quality.empty())
    out["prior_quality"] = prior_quality;
  if (configured)
    out["configured"] = true;
  return out;
}

size_t catalog::set_provider(const std::string& provider,
                             const nlohmann::json& rows) {
  std::map<std::string, model_entry> fresh;
  if (rows.is_array())
    for (auto& row : rows) {
      if (!row.is_object() || !row.contains("id") || !row["id"].is_string())
        continue;
      model_entry e;
      e.provider = provider;
      e.id = row["id"].get<std::string>();
      e.name = row.value("name", e.id);
      if (!row.contains("name") || !row["name"].is_string())
        e.name = e.id;
      e.prompt_usd_per_mtok = number_or(row, "prompt_usd_per_mtok", -1);
      e.completion_usd_per_mtok = number_or(row, "completion_usd_per_mtok", -1);
      e.context_length = static_cast<int64_t>(number_or(row, "context_length", 0));
      if (mentions(e.id, {"embed", "bge-", "e5-", "minilm"}))
        e.capabilities = {"embed"};
      else
        e.capabilities = {"chat"};
      if (mentions(e.id, {"code", "coder"}))
        e.capabilities.push_back("code");
      if (mentions(e.id, {"vision", "-vl", "vl-"}))
        e.capabilities.push_back("vision");
      fresh[e.id] = std::move(e);
    }
  auto n = fresh.size();
  listed_[provider] = std::move(fresh);
  merge();
  return n;
}

void catalog::put(model_entry e) {
  auto& slot = listed_[e.provider][e.id];
  slot = std::move(e);
  merge();
}

void model_facts::override_with(const model_facts& o) {
  if (o.prompt_usd_per_mtok >= 0)
    prompt_usd_per_mtok = o.prompt_usd_per_mtok;
  if (o.completion_usd_per_mtok >= 0)
    completion_usd_per_mtok = o.completion_usd_per_mtok;
  if (o.context_length > 0)
    context_length = o.context_length;
  if (!o.capabilities.empty())
    capabilities = o.capabilities;
  for (auto& [task, q] : o.prior_quality)
    prior_quality[task] = q;
}

bool catalog::set_overrides(std::vector<model_override> xs) {
  if (xs == overrides_)
    return false;
  overrides_ = std::move(xs);
  merge();
  return true;
}

void catalog::merge() {
  by_provider_ = listed_;
  auto apply = [](model_entry& e, const model_override& o) {
    e.override_with(o);
    e.configured = true;
  };
  // Overrides of every provider first, then a provider's own, which win.
  for (auto& o : overrides_)
    if (o.provider.empty())
      for (auto& [provider, models] : by_provider_)
        if (auto i = models.find(o.id); i != models.end())
          apply(i->second, o);
  for (auto& o : overrides_) {
    if (o.provider.empty())
      continue;
    auto& models = by_provider_[o.provider];
    auto i = models.find(o.id);
    if (i == models.end()) {
      model_entry e;
      e.provider = o.provider;
      e.id = e.name = o.id;
      e.capabilities = {"chat"};
      i = models.emplace(o.id, std::move(e)).first;
    }
    apply(i->second, o);
  }
}

std::vector<model_entry> catalog::find(const model_filter& f) const {
  std::vector<model_entry> out;
  auto search = lower(f.search);
  for (auto& [provider, models] : by_provider_) {
    if (!f.provider.empty() && provider != f.provider)
      continue;
    for (auto& [id, e] : models) {
      if (!f.capability.empty() && !e.has(f.capability))
        continue;
      if (!f.ids.empty()
          && std::find(f.ids.begin(), f.ids.end(), id) == f.ids.end())
        continue;
      if (!search.empty() && lower(id).find(search) == std::string::npos
          && lower(e.name).find(search) == std::string::npos)
        continue;
      if (f.max_prompt_usd_per_mtok
          && (e.prompt_usd_per_mtok < 0
              || e.prompt_usd_per_mtok > *f.max_prompt_usd_per_mtok))
        continue;
      out.push_back(e);
    }
  }
  return out;
}

size_t catalog::size() const {
  size_t n = 0;
  for (auto& [p, models] : by_provider_)
    n += models.size();
  return n;
}

std::vector<std::string> catalog::providers() const {
  std::vector<std::string> out;
  for (auto& [p, models] : by_provider_)
    if (!models.empty())
      out.push_back(p);
  return out;
}

} // namespace sophia::actors::optimizer
