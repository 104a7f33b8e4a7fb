#include "actors/edge/catalog.hpp"

#include "actors/edge/auth.hpp"

#include <algorithm>
#include <charconv>

namespace sophia::actors::edge {

using runtime::json::json_schema;

namespace {

using json = nlohmann::json;

/// `test://template/{id}/data` -> `^test://template/([^/]+)/data$`.
std::shared_ptr<const std::regex> template_regex(const std::string& tpl) {
  std::string re = "^";
  for (size_t i = 0; i < tpl.size(); ++i) {
    char c = tpl[i];
    if (c == '{') {
      auto close = tpl.find('}', i);
      if (close == std::string::npos) return nullptr;
      re += "([^/?#]+)";
      i = close;
    } else if (std::string_view{ ".^$|()[]*+?\\/" }.find(c) !=
               std::string_view::npos) {
      re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  re += '$';
  try {
    return std::make_shared<const std::regex>(re);
  } catch (const std::regex_error&) {
    return nullptr;
  }
}

std::string signature(
  const std::map<std::string, catalog::item, std::less<>>& t) {
  std::string out;
  for (auto& [k, v] : t) {
    out += v.json;
    out += '\n';
  }
  return out;
}

std::string string_or(const json& j, const char* key, std::string fallback) {
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? i->get<std::string>() : fallback;
}

} // namespace

bool glob_any(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(), [name](auto& p) {
    return glob_match(p, name);
  });
}

void catalog::set_builtins(std::vector<json> tools,
                           std::vector<json> resources) {
  builtin_tools_.clear();
  builtin_resources_.clear();
  for (auto& t : tools) {
    item x;
    x.name = x.original = t.at("name").get<std::string>();
    x.json = t.dump();
    x.service = "sophia";
    if (auto compiled = json_schema::compile(t.at("inputSchema"));
        auto* s = std::get_if<json_schema>(&compiled))
      x.schema = std::make_shared<const json_schema>(std::move(*s));
    builtin_tools_.push_back(std::move(x));
  }
  for (auto& r : resources) {
    item x;
    x.name = x.original = r.at("uri").get<std::string>();
    x.json = r.dump();
    x.service = "sophia";
    builtin_resources_.push_back(std::move(x));
  }
}

catalog::changes catalog::rebuild(const std::vector<provider>& providers,
                                  std::string_view self_node,
                                  std::vector<std::string>& warnings) {
  // One provider per service: this node's, else the lowest-named node's.
  std::map<std::string, const provider*> chosen;
  for (auto& p : providers) {
    auto service = string_or(p.descriptor, "service", p.key);
    auto& slot = chosen[service];
    if (slot == nullptr || (p.node == self_node && slot->node != self_node) ||
        (slot->node != self_node && p.node < slot->node))
      slot = &p;
  }
  table tools, resources, templates, prompts;
  auto add = [&](table& t, item x, const char* what) {
    auto name = x.name;
    auto [i, added] = t.emplace(name, std::move(x));
    if (!added)
      warnings.push_back(std::string{ what } + " '" + name +
                         "' is declared by both '" + i->second.service +
                         "' and another provider; keeping '" +
                         i->second.service + "'");
  };
  for (auto& t : builtin_tools_)
    add(tools, t, "tool");
  for (auto& r : builtin_resources_)
    add(resources, r, "resource");
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
  for (auto& entry : chosen) {
    const auto& service = entry.first;
    const auto* p = entry.second;
    auto& d = p->descriptor;
    auto prefix = string_or(d, "prefix", service + ".");
    auto domain = string_or(d, "domain", "");
    auto base = [&](const json& x, std::string name, std::string original) {
      item it;
      it.name = std::move(name);
      it.original = std::move(original);
      it.domain = domain;
      it.service = service;
      it.node = p->node;
      it.handle = p->handle;
      (void)x;
      return it;
    };
    auto list = [&](const char* key) -> const json& {
      static const json empty = json::array();
      auto i = d.find(key);
      return i != d.end() && i->is_array() ? *i : empty;
    };
    for (auto& t : list("tools")) {
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) {
        warnings.push_back("provider '" + service +
                           "' declares a tool without a name");
        continue;
      }
      auto original = t["name"].get<std::string>();
      auto schema = t.find("inputSchema");
      if (schema == t.end()) {
        warnings.push_back("tool '" + original + "' of '" + service +
                           "' has no inputSchema; skipped");
        continue;
      }
      auto compiled = json_schema::compile(*schema);
      if (auto* err = std::get_if<std::string>(&compiled)) {
        warnings.push_back("tool '" + original + "' of '" + service +
                           "' has an unusable inputSchema (" + *err +
                           "); skipped");
        continue;
      }
      auto it = base(t, prefix + original, original);
      auto shown = t;
      shown["name"] = it.name;
      it.json = shown.dump();
      it.schema = std::make_shared<const json_schema>(
        std::move(std::get<json_schema>(compiled)));
      add(tools, std::move(it), "tool");
    }
    for (auto& pr : list("prompts")) {
      if (!pr.is_object() || !pr.contains("name") || !pr["name"].is_string())
        continue;
      auto original = pr["name"].get<std::string>();
      auto it = base(pr, prefix + original, original);
      auto shown = pr;
      shown["name"] = it.name;
      it.json = shown.dump();
      add(prompts, std::move(it), "prompt");
    }
    for (auto& r : list("resources")) {
      if (!r.is_object() || !r.contains("uri") || !r["uri"].is_string())
        continue;
      auto uri = r["uri"].get<std::string>();
      auto it = base(r, uri, uri);
      it.json = r.dump();
      add(resources, std::move(it), "resource");
    }
    for (auto& r : list("resourceTemplates")) {
      if (!r.is_object() || !r.contains("uriTemplate") ||
          !r["uriTemplate"].is_string())
        continue;
      auto tpl = r["uriTemplate"].get<std::string>();
      auto it = base(r, tpl, tpl);
      it.json = r.dump();
      it.pattern = template_regex(tpl);
      if (!it.pattern) {
        warnings.push_back("resource template '" + tpl + "' of '" + service +
                           "' is malformed; skipped");
        continue;
      }
      add(templates, std::move(it), "resource template");
    }
  }
  changes c;
  c.tools = signature(tools) != signature(tools_);
  c.resources = signature(resources) != signature(resources_) ||
                signature(templates) != signature(templates_);
  c.prompts = signature(prompts) != signature(prompts_);
  if (c.tools || c.resources || c.prompts) ++version_;
  tools_ = std::move(tools);
  resources_ = std::move(resources);
  templates_ = std::move(templates);
  prompts_ = std::move(prompts);
  return c;
}

std::vector<std::string> catalog::tool_names() const {
  std::vector<std::string> out;
  out.reserve(tools_.size());
  for (auto& [name, x] : tools_)
    out.push_back(name);
  return out;
}

const catalog::item* catalog::tool(std::string_view name) const {
  auto i = tools_.find(name);
  return i == tools_.end() ? nullptr : &i->second;
}

const catalog::item* catalog::prompt(std::string_view name) const {
  auto i = prompts_.find(name);
  return i == prompts_.end() ? nullptr : &i->second;
}

const catalog::item* catalog::resource(std::string_view uri) const {
  if (auto i = resources_.find(uri); i != resources_.end()) return &i->second;
  std::string s{ uri };
  for (auto& [k, t] : templates_)
    if (t.pattern && std::regex_match(s, *t.pattern)) return &t;
  return nullptr;
}

bool catalog::visible(const item& x, const view& v, bool is_tool) {
  if (!v.domain.empty() && x.domain != v.domain) return false;
  if (is_tool && v.tool_patterns != nullptr &&
      !glob_any(*v.tool_patterns, x.name))
    return false;
  return true;
}

const catalog::table* catalog::table_of(std::string_view kind) const {
  if (kind == "tools") return &tools_;
  if (kind == "resources") return &resources_;
  if (kind == "resourceTemplates") return &templates_;
  if (kind == "prompts") return &prompts_;
  return nullptr;
}

std::optional<std::string> catalog::page(std::string_view kind,
                                         const view& v,
                                         std::string_view cursor,
                                         size_t page_size,
                                         std::string& error) const {
  const auto* t = table_of(kind);
  if (t == nullptr) {
    error = "unknown list";
    return std::nullopt;
  }
  // A cursor is the catalog name to resume after (names are unique and
  // sorted, so pages stay consistent when the catalog changes meanwhile).
  auto start = t->begin();
  if (!cursor.empty()) {
    if (cursor.size() < 2 || cursor[0] != 'a') {
      error = "invalid cursor '" + std::string{ cursor } + "'";
      return std::nullopt;
    }
    start = t->upper_bound(cursor.substr(1));
  }
  std::string out = "{\"";
  out += kind;
  out += "\":[";
  size_t n = 0;
  bool is_tool = kind == "tools";
  std::string last;
  auto i = start;
  for (; i != t->end() && n < page_size; ++i) {
    if (!visible(i->second, v, is_tool)) continue;
    if (n++ > 0) out += ',';
    out += i->second.json;
    last = i->first;
  }
  out += ']';
  bool more = false;
  for (auto j = i; j != t->end(); ++j)
    if (visible(j->second, v, is_tool)) {
      more = true;
      break;
    }
  if (more) {
    out += ",\"nextCursor\":";
    out += json("a" + last).dump();
  }
  out += '}';
  return out;
}

json catalog::tool_list(const view& v) const {
  auto out = json::array();
  for (auto& [name, t] : tools_)
    if (visible(t, v, true))
      out.push_back({ { "name", name },
                      { "service", t.service },
                      { "domain", t.domain },
                      { "node", t.node.empty() ? "edge" : t.node } });
  return out;
}

} // namespace sophia::actors::edge
