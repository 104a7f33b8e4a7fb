#include "actors/optimizer/router_state.hpp"

#include <cstdio>
#include <random>

#include "runtime/fnv1a.hpp"

namespace sophia::actors::optimizer {

namespace {

/// This router at the limiter: its node and a random incarnation, so that
/// a restarted router does not take over its earlier life's holdings
/// (those stay counted until their window ends).
std::string holder_name(const std::string& node) {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  return (node.empty() ? std::string{"router"} : node) + "/" + buf;
}

} // namespace

router_state::router_state(router_options o, outcome_memory m)
  : opts(std::move(o)), memory(std::move(m)), leases(holder_name(opts.node)) {
  std::random_device rd;
  id_seed = (uint64_t{rd()} << 32) ^ rd();
}

std::string router_state::new_id() {
  // The seed makes ids of different routers (nodes, restarts) distinct;
  // the multiplier spreads consecutive ids.
  auto x = id_seed + 0x9e3779b97f4a7c15ull * ++next_id;
  char buf[24];
  std::snprintf(buf, sizeof buf, "ai-%016llx", static_cast<unsigned long long>(x));
  return buf;
}

void router_state::remember(interaction x) {
  auto id = x.id;
  if (interactions.insert_or_assign(id, std::move(x)).second)
    order.push_back(id);
  while (order.size() > opts.interactions_kept) {
    interactions.erase(order.front());
    order.pop_front();
  }
}

std::vector<float> router_state::embed(const std::string& text) {
  std::vector<float> v(embedder.dimension());
  embedder.embed(text, v);
  return v;
}

std::optional<std::string> router_state::learn(const interaction& x,
                                               double score) {
  auto v = embed(x.prompt);
  return memory.add(runtime::fnv1a(x.prompt), v, x.task_type,
                    {x.model, score, x.cost_usd});
}

std::optional<std::pair<double, double>>
router_state::price(const std::string& provider, const std::string& model) const {
  model_filter f;
  f.provider = provider;
  f.ids = {model};
  for (auto& e : models.find(f))
    if (e.prompt_usd_per_mtok >= 0 && e.completion_usd_per_mtok >= 0)
      return std::pair{e.prompt_usd_per_mtok / 1e6, e.completion_usd_per_mtok / 1e6};
  return std::nullopt;
}

namespace {

/// Prompts are remembered (and embedded) by their first 32 KiB: the
/// stored text must embed as the learned one did.
constexpr size_t prompt_cap = 32768;

std::string capped(std::string s) {
  if (s.size() > prompt_cap)
    s.resize(prompt_cap);
  return s;
}

} // namespace

std::vector<candidate> candidates_of(const router_state& st,
                                     const std::vector<model_entry>& entries,
                                     const std::string& task_type) {
  std::vector<candidate> out;
  out.reserve(entries.size());
  for (auto& e : entries) {
    candidate x;
    x.provider = e.provider;
    x.model = e.id;
    if (e.prompt_usd_per_mtok >= 0 && e.completion_usd_per_mtok >= 0) {
      x.prompt_price = e.prompt_usd_per_mtok / 1e6;
      x.completion_price = e.completion_usd_per_mtok / 1e6;
    }
    x.context_length = e.context_length;
    auto& r = st.live.of(e.provider, e.id);
    x.success_rate = r.success_rate;
    x.completion_tokens = r.completion_tokens;
    x.breaker_open = st.live.open(e.provider);
    x.prior_quality = e.prior_for(task_type);
    out.push_back(std::move(x));
  }
  return out;
}

std::string api_key_of(const std::string& caller) {
  if (caller.rfind("mcp:", 0) != 0)
    return "internal";
  auto end = caller.find('/', 4);
  return caller.substr(4, end == std::string::npos ? std::string::npos : end - 4);
}

std::string prompt_text(const nlohmann::json& args, const char* messages_key,
                        const char* prompt_key) {
  if (auto p = args.find(prompt_key); p != args.end() && p->is_string())
    return capped(p->get<std::string>());
  std::string out;
  auto add = [&](const std::string& s) {
    if (!out.empty())
      out += '\n';
    out += s;
  };
  if (auto m = args.find(messages_key); m != args.end() && m->is_array())
    for (auto& msg : *m) {
      if (!msg.is_object())
        continue;
      auto c = msg.find("content");
      if (c == msg.end())
        continue;
      if (c->is_string())
        add(c->get<std::string>());
      else if (c->is_array())
        for (auto& part : *c)
          if (part.is_object() && part.contains("text") && part["text"].is_string())
            add(part["text"].get<std::string>());
    }
  return capped(std::move(out));
}

} // namespace sophia::actors::optimizer
