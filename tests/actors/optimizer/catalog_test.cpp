// The model catalog under cluster.conf's [models."ID"]: an override of every
// provider's entry, one provider's (which wins), a model a provider serves
// without listing it, prior qualities per task type, and a refresh that
// keeps the overrides.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "actors/optimizer/catalog.hpp"

namespace opt = sophia::actors::optimizer;
using nlohmann::json;

namespace {

json rows() {
  return json::array({{{"id", "openai/gpt-4o"}, {"prompt_usd_per_mtok", 2.5},
                       {"completion_usd_per_mtok", 10}, {"context_length", 128000}},
                      {{"id", "qwen/qwen-2.5-coder"}, {"prompt_usd_per_mtok", 0.1},
                       {"completion_usd_per_mtok", 0.2}}});
}

opt::model_entry only(const std::vector<opt::model_entry>& xs) {
  REQUIRE(xs.size() == 1);
  return xs.front();
}

} // namespace

TEST_CASE("catalog: overrides of cluster.conf over what providers list") {
  opt::catalog c;
  c.set_provider("openrouter", rows());
  c.set_provider("portkey", rows());
  CHECK(only(c.find({.provider = "openrouter", .ids = {"qwen/qwen-2.5-coder"}})).has("code"));

  opt::model_override everywhere;
  everywhere.id = "openai/gpt-4o";
  everywhere.prompt_usd_per_mtok = 2.0;
  everywhere.prior_quality = {{"simple", 0.95}, {"code", 0.9}};
  opt::model_override portkey_only;
  portkey_only.id = "openai/gpt-4o";
  portkey_only.provider = "portkey";
  portkey_only.prompt_usd_per_mtok = 1.5;
  portkey_only.capabilities = {"chat", "vision"};
  opt::model_override own;
  own.id = "meta-llama/Llama-3.1-70B-Instruct";
  own.provider = "vllm";
  own.prompt_usd_per_mtok = own.completion_usd_per_mtok = 0.2;
  own.context_length = 131072;
  own.prior_quality = {{"code", 0.74}};
  CHECK(c.set_overrides({everywhere, portkey_only, own}));
  CHECK_FALSE(c.set_overrides({everywhere, portkey_only, own}));

  auto o = only(c.find({.provider = "openrouter", .ids = {"openai/gpt-4o"}}));
  CHECK(o.prompt_usd_per_mtok == 2.0);
  CHECK(o.completion_usd_per_mtok == 10); // kept: the override said -1
  CHECK(o.context_length == 128000);
  CHECK(o.prior_for("simple") == 0.95);
  CHECK(o.prior_for("analysis") == -1);
  CHECK(o.configured);
  auto p = only(c.find({.provider = "portkey", .ids = {"openai/gpt-4o"}}));
  CHECK(p.prompt_usd_per_mtok == 1.5); // the provider's own override wins
  CHECK(p.prior_for("code") == 0.9);
  CHECK(p.has("vision"));
  CHECK_FALSE(only(c.find({.provider = "portkey", .ids = {"qwen/qwen-2.5-coder"}})).configured);
  // vllm lists nothing: the configured model is there for it all the same.
  auto v = only(c.find({.capability = "chat", .provider = "vllm"}));
  CHECK(v.id == "meta-llama/Llama-3.1-70B-Instruct");
  CHECK(v.context_length == 131072);
  CHECK(v.prior_for("code") == 0.74);
  auto j = v.to_json();
  CHECK(j["configured"] == true);
  CHECK(j["prior_quality"]["code"] == 0.74);

  // A refresh replaces what openrouter listed; the overrides stay.
  c.set_provider("openrouter", json::array({rows()[0]}));
  CHECK(only(c.find({.provider = "openrouter"})).prompt_usd_per_mtok == 2.0);
  // The file no longer says anything of the models: the listed prices again.
  CHECK(c.set_overrides({}));
  CHECK(only(c.find({.provider = "openrouter"})).prompt_usd_per_mtok == 2.5);
  CHECK(c.find({.provider = "vllm"}).empty());
}
