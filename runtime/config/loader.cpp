#include "runtime/config/loader.hpp"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "runtime/config/schema.hpp"
#include "runtime/config/suggest.hpp"

namespace sophia::runtime::config {

std::string diagnostic::to_string() const {
  return position.file + ':' + std::to_string(position.line) + ':' +
         std::to_string(position.column) + ": error: " + message;
}

namespace {

// -- small helpers ------------------------------------------------------------

template <class... Ts>
std::string cat(const Ts&... xs) {
  std::ostringstream out;
  (out << ... << xs);
  return out.str();
}

/// Returns "; did you mean 'X'?" when `word` is close to a candidate.
std::string hint(std::string_view word,
                 const std::vector<std::string_view>& candidates) {
  if (auto best = closest(word, candidates))
    return cat("; did you mean '", *best, "'?");
  return {};
}

/// Names a TOML node's type the way a user would.
std::string_view type_name(const toml::node& x) {
  switch (x.type()) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::array: return "array";
    case toml::node_type::table: return "table";
    default: return "nothing";
  }
}

/// A validated value of one key.
using value =
  std::variant<bool, int64_t, std::string, std::vector<std::string>, double>;

/// One validated key of a table.
struct field {
  value val;
  /// Where the value is, or the table's header when the key was defaulted.
  source_position pos;
  /// Where each element of a string array is.
  std::vector<source_position> item_pos;
};

using fields = std::map<std::string, field, std::less<>>;

// -- bindings between schema keys and struct members --------------------------

// The schema says what a key is; a binding says where it goes. Reading and
// rendering both walk the schema and go through these, so neither can forget
// a key.
template <class T>
struct binding {
  std::string_view key;
  std::function<void(T&, const value&)> set;
  std::function<value(const T&)> get;
};

template <class T, class M>
binding<T> bind_key(std::string_view key, M T::*member) {
  // Integers of the structs are narrower than int64_t in places (port); the
  // schema's range check has already made the cast lossless.
  constexpr bool narrow = std::is_integral_v<M> && !std::is_same_v<M, bool>;
  return { key,
           [member](T& obj, const value& x) {
             if constexpr (narrow)
               obj.*member = static_cast<M>(std::get<int64_t>(x));
             else
               obj.*member = std::get<M>(x);
           },
           [member](const T& obj) -> value {
             if constexpr (narrow)
               return static_cast<int64_t>(obj.*member);
             else
               return obj.*member;
           } };
}

template <class T>
using bindings = std::vector<binding<T>>;

// One binding per key of a list of keys.hpp: the key is the member's name.
#define SOPHIA_BIND_KEY(TYPE, NAME, ...) bind_key(#NAME, &t::NAME),
#define SOPHIA_BINDINGS(STRUCT, LIST)                                          \
  const bindings<STRUCT>& bindings_of(const STRUCT*) {                         \
    using t = STRUCT;                                                          \
    static const bindings<t> xs{ LIST(SOPHIA_BIND_KEY) };                      \
    return xs;                                                                 \
  }

SOPHIA_BINDINGS(cluster_config, SOPHIA_CONFIG_KEYS_CLUSTER)
SOPHIA_BINDINGS(node_config, SOPHIA_CONFIG_KEYS_NODE)
SOPHIA_BINDINGS(role_config, SOPHIA_CONFIG_KEYS_ROLE)
SOPHIA_BINDINGS(service_config, SOPHIA_CONFIG_KEYS_SERVICE)
SOPHIA_BINDINGS(model_config, SOPHIA_CONFIG_KEYS_MODEL)
SOPHIA_BINDINGS(edge_config, SOPHIA_CONFIG_KEYS_EDGE)
SOPHIA_BINDINGS(api_key_config, SOPHIA_CONFIG_KEYS_API_KEY)
SOPHIA_BINDINGS(conformance_config, SOPHIA_CONFIG_KEYS_CONFORMANCE)
SOPHIA_BINDINGS(pipeline_config, SOPHIA_CONFIG_KEYS_PIPELINE)
SOPHIA_BINDINGS(pipeline_source_config, SOPHIA_CONFIG_KEYS_PIPELINE_SOURCE)

#undef SOPHIA_BINDINGS
#undef SOPHIA_BIND_KEY

template <class T>
const binding<T>& binding_of(std::string_view key) {
  for (const auto& x : bindings_of(static_cast<const T*>(nullptr)))
    if (x.key == key) return x;
  throw std::logic_error(cat("config: schema key '", key, "' has no binding"));
}

/// Stores every validated field of `fs` in `obj`.
template <class T>
void apply(const fields& fs, std::string_view table, T& obj) {
  for (const auto* spec : keys_of(table))
    if (auto i = fs.find(spec->key); i != fs.end())
      binding_of<T>(spec->key).set(obj, i->second.val);
}

// -- parsing TOML -------------------------------------------------------------

struct syntax_error {
  std::string message;
  toml::source_region where;
};

/// Rewords toml++'s "Error while parsing X: Y" so that it reads well after
/// our own "error: " prefix.
std::string syntax_message(std::string_view description) {
  constexpr std::string_view prefix = "Error while parsing ";
  if (description.starts_with(prefix)) {
    description.remove_prefix(prefix.size());
    return cat("TOML syntax error in ", description);
  }
  std::string rest{ description };
  if (!rest.empty())
    rest[0] =
      static_cast<char>(std::tolower(static_cast<unsigned char>(rest[0])));
  return "TOML syntax error: " + rest;
}

/// Parses TOML whether or not toml++ was configured to throw.
std::variant<toml::table, syntax_error> parse_toml(std::string_view text,
                                                   std::string_view file) {
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return syntax_error{ std::string{ e.description() }, e.source() };
  }
#else
  auto result = toml::parse(text, file);
  if (!result)
    return syntax_error{ std::string{ result.error().description() },
                         result.error().source() };
  return std::move(result).table();
#endif
}

// -- the validator ------------------------------------------------------------

std::string table_key(std::string_view x); // below, with the rendering

class validator {
public:
  explicit validator(std::string file)
    : file_(std::move(file)) {
    // Nothing.
  }

  cluster_config run(const toml::table& root);

  std::vector<diagnostic>& diagnostics() { return diagnostics_; }

  /// Converts `x` to the type of `spec`; reports and returns false if it
  /// has the wrong type or value. `where` names the table in messages.
  bool convert(const toml::node& x,
               const key_spec& spec,
               std::string_view where,
               field& out);

private:
  source_position at(const toml::source_region& region) const {
    // Tables toml++ creates implicitly may lack a position.
    if (region.begin.line == 0) return file_start();
    return { file_, region.begin.line, region.begin.column };
  }

  source_position file_start() const { return { file_, 1, 1 }; }

  void error(source_position pos, std::string message) {
    diagnostics_.push_back({ std::move(pos), std::move(message) });
  }

  /// `skip` names a key that is not the schema's (a nested table read
  /// on its own).
  fields read_table(const toml::table& tbl,
                    std::string_view keys,
                    std::string_view where,
                    std::string_view skip = {});
  void read_cluster(const toml::table& root, cluster_config& cfg);
  void read_nodes(const toml::table& root, cluster_config& cfg);
  void check_role_list(const fields& fs,
                       std::string_view key,
                       std::string_view where);
  /// Calls `each(name, key, table)` for every table of `x`, which holds
  /// `header`'s tables (`[roles.NAME]`, ...) of `[section]`; reports a
  /// value that is not a table of tables (as `label`) and an entry that is
  /// not a table. `quote` shows names quoted (model ids hold slashes).
  template <class F>
  void each_named_table(const toml::node& x, std::string_view label,
                        std::string_view section, std::string_view header,
                        bool quote, F&& each);
  void read_roles(const toml::table& root, cluster_config& cfg);
  void read_services(const toml::table& root, cluster_config& cfg);
  void read_models(const toml::table& root, cluster_config& cfg);
  const toml::table* optional_table(const toml::table& root,
                                    std::string_view name);
  void read_edge(const toml::table& root, cluster_config& cfg);
  void read_api_keys(const toml::table& root, cluster_config& cfg);
  void check_api_key(const fields& fs,
                     const api_key_config& api_key,
                     std::string_view where);
  void read_conformance(const toml::table& root, cluster_config& cfg);
  void read_pipeline(const toml::table& root, cluster_config& cfg);
  void read_pipeline_sources(const toml::node& x, cluster_config& cfg);
  void check_embedder(const fields& fs, const cluster_config& cfg);
  void finish_roles(cluster_config& cfg);
  void finish_edge(const cluster_config& cfg);
  void finish_limits(const cluster_config& cfg);

  std::string file_;
  std::vector<diagnostic> diagnostics_;
  /// Where each `[roles.NAME]` is, for "no node runs it".
  std::map<std::string, source_position> role_tables_;
  /// The validated fields of each entry of `cluster_config::nodes`.
  std::vector<fields> node_fields_;
  /// Whether each entry of `cluster_config::nodes` repeats the name or
  /// endpoint of an earlier one; later checks skip those.
  std::vector<bool> node_duplicates_;
  /// The validated fields of `[edge]`.
  fields edge_fields_;
};

/// Returns the value of a key with a default, from its TOML text.
value default_of(const key_spec& spec) {
  auto parsed = parse_toml(cat("v = ", spec.default_value), "<schema>");
  auto* tbl = std::get_if<toml::table>(&parsed);
  validator scratch{ "<schema>" };
  field result;
  if (tbl == nullptr || !scratch.convert(*tbl->get("v"), spec, "", result))
    throw std::logic_error(cat("config: bad default of ", spec.key));
  return std::move(result.val);
}

bool validator::convert(const toml::node& x,
                        const key_spec& spec,
                        std::string_view where,
                        field& out) {
  auto pos = at(x.source());
  auto fail = [&](auto&&... what) {
    error(pos, cat(spec.key, " in ", where, ": ", what...));
    return false;
  };
  auto mismatch = [&] {
    return fail("expected ", to_string(spec.type), ", got ", type_name(x));
  };
  switch (spec.type) {
    case value_type::string: {
      const auto* str = x.as_string();
      if (str == nullptr) return mismatch();
      const auto& s = str->get();
      const auto& ok = spec.choices;
      if (!ok.empty() && std::find(ok.begin(), ok.end(), s) == ok.end()) {
        std::string list;
        for (auto choice : ok)
          list += cat(list.empty() ? "" : ", ", '"', choice, '"');
        return fail("expected one of ", list, ", got \"", s, '"', hint(s, ok));
      }
      out.val = s;
      return true;
    }
    case value_type::integer: {
      const auto* num = x.as_integer();
      if (num == nullptr) return mismatch();
      auto n = num->get();
      if (n < spec.min && spec.max == unbounded)
        return fail(n, " is below the minimum ", spec.min);
      if (n < spec.min || n > spec.max)
        return fail(n, " is out of range ", spec.min, "..", spec.max);
      out.val = n;
      return true;
    }
    case value_type::number: {
      double v = 0;
      if (const auto* f = x.as_floating_point())
        v = f->get();
      else if (const auto* n = x.as_integer())
        v = static_cast<double>(n->get());
      else
        return mismatch();
      if (!std::isfinite(v)) return fail(v, " is not a finite number");
      auto lo = static_cast<double>(spec.min);
      if (v < lo && spec.max == unbounded)
        return fail(v, " is below the minimum ", spec.min);
      if (v < lo || (spec.max != unbounded && v > static_cast<double>(spec.max)))
        return fail(v, " is out of range ", spec.min, "..", spec.max);
      out.val = v;
      return true;
    }
    case value_type::boolean: {
      const auto* flag = x.as_boolean();
      if (flag == nullptr) return mismatch();
      out.val = flag->get();
      return true;
    }
    case value_type::string_array: {
      const auto* arr = x.as_array();
      if (arr == nullptr) return mismatch();
      std::vector<std::string> items;
      bool ok = true;
      for (const auto& item : *arr) {
        if (const auto* str = item.as_string()) {
          items.push_back(str->get());
          out.item_pos.push_back(at(item.source()));
        } else {
          pos = at(item.source()); // point at the offending element
          ok = fail("expected string array, got array containing ",
                    type_name(item));
        }
      }
      out.val = std::move(items);
      return ok;
    }
  }
  return false;
}

fields validator::read_table(const toml::table& tbl,
                             std::string_view keys,
                             std::string_view where,
                             std::string_view skip) {
  fields result;
  std::set<std::string, std::less<>> seen;
  for (auto&& [key, x] : tbl) {
    auto name = key.str();
    if (!skip.empty() && name == skip) continue;
    seen.emplace(name);
    const auto* spec = find_key(keys, name);
    if (spec == nullptr) {
      std::vector<std::string_view> candidates;
      for (const auto* known : keys_of(keys))
        candidates.push_back(known->key);
      // TOML puts every key after a header into that table, so a `node = `
      // written below [cluster] lands here; say what was probably meant.
      auto advice = hint(name, candidates);
      if (const auto* top = find_table(name))
        advice = cat("; did you mean a ", top->header, " block?");
      error(at(key.source()),
            cat("unknown key '", name, "' in ", where, advice));
      continue;
    }
    field f;
    f.pos = at(x.source());
    if (convert(x, *spec, where, f)) result.emplace(name, std::move(f));
  }
  // Fill in defaults; a key that was present but invalid is already reported
  // and stays out, so that later checks skip it.
  auto header = at(tbl.source());
  for (const auto* spec : keys_of(keys)) {
    if (seen.count(spec->key) != 0) continue;
    if (spec->required)
      error(header, cat("missing required key '", spec->key, "' in ", where));
    else
      result.emplace(spec->key, field{ default_of(*spec), header, {} });
  }
  return result;
}

void validator::read_cluster(const toml::table& root, cluster_config& cfg) {
  const auto* x = root.get("cluster");
  if (x == nullptr) {
    error(file_start(), "missing required table [cluster]");
    return;
  }
  const auto* tbl = x->as_table();
  if (tbl == nullptr) {
    error(at(x->source()),
          cat("cluster: expected table [cluster], got ", type_name(*x)));
    return;
  }
  auto fs = read_table(*tbl, "cluster", "[cluster]");
  apply(fs, "cluster", cfg);
  // The detector needs several missed heartbeats before it declares a peer
  // down; a timeout at or below the interval flags healthy peers.
  auto hb = fs.find("heartbeat_ms");
  auto ft = fs.find("failure_timeout_ms");
  if (hb != fs.end() && ft != fs.end() &&
      cfg.failure_timeout_ms <= cfg.heartbeat_ms) {
    // Point at whichever of the two the file actually set.
    auto pos = ft->second.pos;
    if (tbl->get("failure_timeout_ms") == nullptr) pos = hb->second.pos;
    error(pos,
          cat("failure_timeout_ms (",
              cfg.failure_timeout_ms,
              ") must be greater than heartbeat_ms (",
              cfg.heartbeat_ms,
              ")"));
  }
}

void validator::check_role_list(const fields& fs,
                                std::string_view key,
                                std::string_view where) {
  auto i = fs.find(key);
  if (i == fs.end()) return;
  const auto& roles = std::get<std::vector<std::string>>(i->second.val);
  const auto& known = known_roles();
  std::set<std::string_view> seen;
  for (size_t n = 0; n < roles.size() && n < i->second.item_pos.size(); ++n) {
    const auto& role = roles[n];
    const auto& pos = i->second.item_pos[n];
    if (std::find(known.begin(), known.end(), role) == known.end())
      error(pos,
            cat("unknown role '",
                role,
                "' in ",
                key,
                " of ",
                where,
                hint(role, known)));
    else if (!seen.insert(role).second)
      error(pos,
            cat("role '", role, "' is listed twice in ", key, " of ", where));
  }
}

void validator::read_nodes(const toml::table& root, cluster_config& cfg) {
  const auto* x = root.get("node");
  const auto* arr = x != nullptr ? x->as_array() : nullptr;
  if (x != nullptr && arr == nullptr) {
    error(at(x->source()),
          cat("node: expected [[node]] blocks, got ", type_name(*x)));
    return;
  }
  if (arr == nullptr || arr->empty()) {
    error(x != nullptr ? at(x->source()) : file_start(),
          "no [[node]] blocks: a cluster needs at least one node");
    return;
  }
  std::map<std::string, source_position> names;
  std::map<std::string, std::string> endpoints; // endpoint -> node name
  size_t index = 0;
  for (const auto& item : *arr) {
    ++index;
    const auto* tbl = item.as_table();
    if (tbl == nullptr) {
      error(at(item.source()),
            cat("node: expected [[node]] table, got ", type_name(item)));
      continue;
    }
    // Name the node in messages by its name when it has a usable one.
    auto where = cat("[[node]] #", index);
    if (auto name = (*tbl)["name"].value<std::string>(); name && !name->empty())
      where = cat("[[node]] '", *name, "'");
    auto fs = read_table(*tbl, "node", where);
    node_config node;
    apply(fs, "node", node);
    node.position = at(tbl->source());
    auto duplicate = false;
    if (auto i = fs.find("name"); i != fs.end()) {
      if (!is_node_name(node.name)) {
        error(i->second.pos,
              cat("invalid node name '",
                  node.name,
                  "': must match [a-z0-9][a-z0-9_-]*"));
      } else if (auto [first, added] = names.emplace(node.name, i->second.pos);
                 !added) {
        duplicate = true;
        error(i->second.pos,
              cat("duplicate node name '",
                  node.name,
                  "' (first defined at line ",
                  first->second.line,
                  ")"));
      }
    }
    auto host = fs.find("host");
    if (host != fs.end() && node.host.empty())
      error(host->second.pos, cat("host in ", where, ": must not be empty"));
    if (auto port = fs.find("port");
        host != fs.end() && port != fs.end() && !node.host.empty()) {
      auto [first, added] = endpoints.emplace(node.endpoint(), node.name);
      duplicate = duplicate || !added;
      if (!added)
        error(port->second.pos,
              cat("duplicate endpoint ",
                  node.endpoint(),
                  " in ",
                  where,
                  ": node '",
                  first->second,
                  "' already uses it"));
    }
    check_role_list(fs, "roles", where);
    check_role_list(fs, "standby", where);
    cfg.nodes.push_back(std::move(node));
    node_fields_.push_back(std::move(fs));
    node_duplicates_.push_back(duplicate);
  }
}

template <class F>
void validator::each_named_table(const toml::node& x, std::string_view label,
                                 std::string_view section, std::string_view header,
                                 bool quote, F&& each) {
  const auto* tbl = x.as_table();
  if (tbl == nullptr) {
    error(at(x.source()),
          cat(label, ": expected ", header, " tables, got ", type_name(x)));
    return;
  }
  for (auto&& [key, item] : *tbl) {
    auto name = std::string{ key.str() };
    const auto* entry = item.as_table();
    if (entry == nullptr) {
      error(at(item.source()),
            cat(quote ? toml_quote(name) : name, " in [", section,
                "]: expected a ", header, " table, got ", type_name(item)));
      continue;
    }
    each(name, key, *entry);
  }
}

void validator::read_roles(const toml::table& root, cluster_config& cfg) {
  const auto* x = root.get("roles");
  if (x == nullptr) return;
  const auto& known = known_roles();
  each_named_table(*x, "roles", "roles", "[roles.NAME]", false,
                   [&](const std::string& name, const toml::key& key,
                       const toml::table& role_tbl) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      error(at(key.source()),
            cat("unknown role '",
                name,
                "' in [roles.",
                name,
                "]",
                hint(name, known)));
      return;
    }
    auto fs = read_table(role_tbl, "roles.*", cat("[roles.", name, "]"));
    role_config role;
    role.name = name;
    apply(fs, "roles.*", role);
    // A replicated role runs wherever it is listed: there is nothing to
    // re-place, and fail-over would start a second copy on a standby.
    if (role.replicated && (role.failover || role.move_back))
      error(at(key.source()),
            cat("[roles.", name, "]: replicated = true runs the role on every node "
                "listing it and cannot be combined with ",
                role.failover ? "failover" : "move_back"));
    cfg.roles.emplace(name, std::move(role));
    role_tables_.emplace(name, at(key.source()));
  });
}

void validator::read_services(const toml::table& root, cluster_config& cfg) {
  const auto* x = root.get("services");
  if (x == nullptr) return;
  each_named_table(*x, "services", "services", "[services.NAME]", false,
                   [&](const std::string& name, const toml::key& key,
                       const toml::table& svc_tbl) {
    if (!is_service_name(name)) {
      error(at(key.source()),
            cat("invalid service name '", name, "': must match [a-z0-9_]+"));
      return;
    }
    auto fs = read_table(svc_tbl, "services.*", cat("[services.", name, "]"));
    service_config svc;
    svc.name = name;
    apply(fs, "services.*", svc);
    cfg.services.emplace(name, std::move(svc));
  });
}

void validator::read_models(const toml::table& root, cluster_config& cfg) {
  const auto* x = root.get("models");
  if (x == nullptr) return;
  // Model ids are the providers' (`openai/gpt-4o`, `meta-llama/...`): any
  // non-empty string, quoted in the file.
  each_named_table(*x, "models", "models", "[models.\"ID\"]", true,
                   [&](const std::string& name, const toml::key& key,
                       const toml::table& model_tbl) {
    if (name.empty()) {
      error(at(key.source()), "[models.\"\"]: a model id must not be empty");
      return;
    }
    auto fs = read_table(model_tbl, "models.*", cat("[models.", table_key(name), "]"));
    model_config model;
    model.name = name;
    apply(fs, "models.*", model);
    cfg.models.emplace(name, std::move(model));
  });
}

const toml::table* validator::optional_table(const toml::table& root,
                                             std::string_view name) {
  // An absent table reads as an empty one, so that it gets the defaults.
  static const toml::table empty;
  const auto* x = root.get(name);
  if (x == nullptr) return &empty;
  const auto* tbl = x->as_table();
  if (tbl == nullptr)
    error(at(x->source()),
          cat(name, ": expected table [", name, "], got ", type_name(*x)));
  return tbl;
}

namespace {

/// Returns whether the MCP endpoint can bind `x`: an IPv4 or IPv6 address,
/// or `localhost`. Host names other than that would need a resolver and may
/// resolve to an interface nobody meant to expose.
bool is_bind_address(const std::string& x) {
  if (x == "localhost") return true;
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, x.c_str(), &v4) == 1 ||
         inet_pton(AF_INET6, x.c_str(), &v6) == 1;
}

template <class T>
const T* value_of(const fields& fs, std::string_view key) {
  auto i = fs.find(key);
  return i != fs.end() ? std::get_if<T>(&i->second.val) : nullptr;
}

bool contains(const std::vector<std::string>& xs, std::string_view x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

} // namespace

void validator::read_edge(const toml::table& root, cluster_config& cfg) {
  const auto* tbl = optional_table(root, "edge");
  if (tbl == nullptr) return;
  edge_fields_ = read_table(*tbl, "edge", "[edge]");
  const auto& fs = edge_fields_;
  apply(fs, "edge", cfg.edge);
  if (auto i = fs.find("address");
      i != fs.end() && !is_bind_address(cfg.edge.address)) {
    const auto& addr = cfg.edge.address;
    auto advice = std::string{};
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']' &&
        is_bind_address(addr.substr(1, addr.size() - 2)))
      advice = "; write IPv6 addresses without brackets";
    error(i->second.pos,
          cat("address in [edge]: \"",
              addr,
              "\" is not an IPv4 or IPv6 address or \"localhost\"",
              advice));
  }
  if (auto i = fs.find("allowed_hosts"); i != fs.end()) {
    const auto& hosts = cfg.edge.allowed_hosts;
    for (size_t n = 0; n < hosts.size() && n < i->second.item_pos.size(); ++n)
      if (hosts[n].empty())
        error(i->second.item_pos[n],
              "allowed_hosts in [edge]: a name must not be empty");
  }
  // Every port the endpoint binds must differ; the key names who took it.
  std::map<int64_t, std::string_view> used;
  if (const auto* port = value_of<int64_t>(fs, "port"); port && *port != 0)
    used.emplace(*port, "");
  for (auto key : domain_port_keys()) {
    const auto* port = value_of<int64_t>(fs, key);
    if (port == nullptr || *port == 0) continue;
    if (auto [i, added] = used.emplace(*port, key); !added)
      error(fs.find(key)->second.pos,
            cat(key,
                " in [edge]: ",
                *port,
                " is already ",
                i->second.empty() ? "the MCP port (port)" : i->second));
  }
}

void validator::check_api_key(const fields& fs,
                              const api_key_config& api_key,
                              std::string_view where) {
  if (auto i = fs.find("key");
      i != fs.end() && !is_api_key_reference(api_key.key)) {
    // Never echo the value: it may be the key itself.
    const auto& key = api_key.key;
    std::string why;
    if (key.starts_with("sha256:"))
      why = "sha256: must be followed by exactly 64 hex digits, the SHA-256 "
            "of the key";
    else if (key == "env:")
      why = "env: must be followed by the name of an environment variable";
    else if (key == "file:")
      why = "file: must be followed by the path of a file";
    else if (key.starts_with("esc:"))
      why = "esc: references are not supported for API keys; use env:VAR, "
            "file:PATH or sha256:<64 hex digits>";
    else
      why = "must be a reference (env:VAR, file:PATH or sha256:<64 hex "
            "digits>), not the key itself, so that keys never sit in this "
            "file";
    error(i->second.pos, cat("key in ", where, ": ", why));
  }
  if (auto i = fs.find("tools"); i != fs.end()) {
    if (api_key.tools.empty())
      error(i->second.pos,
            cat("tools in ",
                where,
                ": must list at least one pattern (\"*\" allows every "
                "tool)"));
    for (size_t n = 0;
         n < api_key.tools.size() && n < i->second.item_pos.size();
         ++n)
      if (api_key.tools[n].empty())
        error(i->second.item_pos[n],
              cat("tools in ", where, ": a pattern must not be empty"));
  }
}

void validator::read_api_keys(const toml::table& root, cluster_config& cfg) {
  const auto* x = root.get("api_keys");
  if (x == nullptr) return;
  each_named_table(*x, "api_keys", "api_keys", "[api_keys.NAME]", false,
                   [&](const std::string& name, const toml::key& key,
                       const toml::table& key_tbl) {
    if (!is_service_name(name)) {
      error(at(key.source()),
            cat("invalid API key name '", name, "': must match [a-z0-9_]+"));
      return;
    }
    auto where = cat("[api_keys.", name, "]");
    auto fs = read_table(key_tbl, "api_keys.*", where);
    api_key_config api_key;
    api_key.name = name;
    api_key.position = at(key_tbl.source());
    apply(fs, "api_keys.*", api_key);
    check_api_key(fs, api_key, where);
    cfg.api_keys.emplace(name, std::move(api_key));
  });
}

void validator::read_conformance(const toml::table& root, cluster_config& cfg) {
  const auto* tbl = optional_table(root, "conformance");
  if (tbl == nullptr) return;
  auto fs = read_table(*tbl, "conformance", "[conformance]");
  apply(fs, "conformance", cfg.conformance);
  auto role = fs.find("role");
  if (role == fs.end()) return;
  const auto& name = cfg.conformance.role;
  const auto& known = known_roles();
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    error(role->second.pos,
          cat("unknown role '",
              name,
              "' in role of [conformance]",
              hint(name, known)));
    return;
  }
  auto enabled = fs.find("enabled");
  if (enabled == fs.end() || !cfg.conformance.enabled) return;
  auto runs = [&name](const node_config& node) {
    return contains(node.roles, name);
  };
  if (std::none_of(cfg.nodes.begin(), cfg.nodes.end(), runs))
    error(tbl->get("role") != nullptr ? role->second.pos : enabled->second.pos,
          cat("[conformance] is enabled but no node runs role '", name, "'"));
}

namespace {

/// A TOML value as JSON, for a source's `config`: tables are objects,
/// dates and times their TOML text.
nlohmann::json to_json(const toml::node& x) {
  if (const auto* t = x.as_table()) {
    auto out = nlohmann::json::object();
    for (auto&& [k, v] : *t)
      out[std::string{ k.str() }] = to_json(v);
    return out;
  }
  if (const auto* a = x.as_array()) {
    auto out = nlohmann::json::array();
    for (const auto& v : *a)
      out.push_back(to_json(v));
    return out;
  }
  if (const auto* s = x.as_string()) return s->get();
  if (const auto* i = x.as_integer()) return i->get();
  if (const auto* f = x.as_floating_point()) return f->get();
  if (const auto* b = x.as_boolean()) return b->get();
  std::ostringstream text;
  if (const auto* d = x.as_date()) text << d->get();
  else if (const auto* t = x.as_time()) text << t->get();
  else if (const auto* dt = x.as_date_time()) text << dt->get();
  return text.str();
}

/// Whether a config key names a secret ("password", "api_key", ...): its
/// literal value is not printed.
bool is_secret_name(std::string_view key) {
  std::string k{ key };
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  for (auto word : { "password", "secret", "token", "key", "credential" })
    if (k.find(word) != std::string::npos) return true;
  return false;
}

/// The JSON back as TOML (an inline table), for render_effective; literal
/// strings under a secret-looking key print as "<redacted>" (references
/// are kept, as for the schema's secret keys).
std::string to_toml(const nlohmann::json& x, bool secret = false) {
  if (x.is_object()) {
    std::string out = "{ ";
    bool first = true;
    for (auto& [k, v] : x.items()) {
      out += cat(first ? "" : ", ", toml_quote(k), " = ",
                 to_toml(v, secret || is_secret_name(k)));
      first = false;
    }
    return out + (first ? "}" : " }");
  }
  if (x.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < x.size(); ++i)
      out += cat(i == 0 ? "" : ", ", to_toml(x[i], secret));
    return out + "]";
  }
  if (x.is_string()) {
    const auto& s = x.get<std::string>();
    if (secret && !s.empty() && !is_secret_reference(s))
      return toml_quote("<redacted>");
    return toml_quote(s);
  }
  return x.dump();
}

} // namespace

void validator::read_pipeline(const toml::table& root, cluster_config& cfg) {
  const auto* tbl = optional_table(root, "pipeline");
  if (tbl == nullptr) return;
  // [pipeline.sources.NAME] nests in [pipeline]; it has its own keys.
  const toml::node* sources = tbl->get("sources");
  auto fs = read_table(*tbl, "pipeline", "[pipeline]", "sources");
  apply(fs, "pipeline", cfg.pipeline);
  if (auto i = fs.find("default_schema");
      i != fs.end() && cfg.pipeline.default_schema.empty())
    error(i->second.pos, "default_schema in [pipeline]: must not be empty");
  check_embedder(fs, cfg);
  if (sources != nullptr) read_pipeline_sources(*sources, cfg);
}

void validator::check_embedder(const fields& fs, const cluster_config& cfg) {
  // [services] is read before [pipeline]: the service must be one the AI
  // role runs with an `embed` tool (see actors/ai/provider.cpp).
  const auto& p = cfg.pipeline;
  auto i = fs.find("embedder");
  if (i == fs.end() || p.embedder == "hashing") return;
  auto svc = cfg.services.find(p.embedder);
  bool embeds = svc != cfg.services.end() &&
                (p.embedder == "together_ai" || p.embedder == "huggingface" ||
                 svc->second.kind == "openai_compatible");
  if (!embeds) {
    error(i->second.pos,
          cat("embedder in [pipeline]: expected \"hashing\" or a configured "
              "AI service with an embed tool ([services.together_ai], "
              "[services.huggingface], or a [services.NAME] with kind = "
              "\"openai_compatible\"), got \"",
              p.embedder,
              svc == cfg.services.end() ? "\" (no such [services.] table)"
                                        : "\""));
    return;
  }
  // Absent from `fs`: present but invalid, reported already.
  auto m = fs.find("embedding_model");
  if (m != fs.end() && p.embedding_model.empty())
    error(m->second.pos,
          cat("embedding_model in [pipeline]: required when embedder = \"",
              p.embedder,
              "\" (the model its embed tool takes; vector_dimension must be "
              "the model's dimension)"));
}

void validator::read_pipeline_sources(const toml::node& x,
                                      cluster_config& cfg) {
  // A relative catalog is relative to this file, wherever the node runs.
  namespace fs = std::filesystem;
  auto base = fs::path{ file_ }.parent_path();
  each_named_table(x, "sources in [pipeline]", "pipeline.sources",
                   "[pipeline.sources.NAME]", false,
                   [&](const std::string& name, const toml::key& key,
                       const toml::table& src) {
    if (!is_node_name(name)) {
      error(at(key.source()),
            cat("invalid source name '",
                name,
                "': must match [a-z0-9][a-z0-9_-]*"));
      return;
    }
    auto where = cat("[pipeline.sources.", name, "]");
    pipeline_source_config source;
    source.name = name;
    source.position = at(src.source());
    const toml::node* config = src.get("config");
    auto fields = read_table(src, "pipeline.sources.*", where, "config");
    apply(fields, "pipeline.sources.*", source);
    if (config != nullptr) {
      if (const auto* ct = config->as_table())
        source.config_json = to_json(*ct).dump();
      else
        error(at(config->source()),
              cat("config in ", where, ": expected a table, got ",
                  type_name(*config)));
    }
    if (auto i = fields.find("command"); i != fields.end()) {
      if (source.command.empty())
        error(i->second.pos,
              cat("command in ", where,
                  ": must name the program, e.g. [\"python3\", \"main.py\"]"));
      else if (source.command.front().empty() && !i->second.item_pos.empty())
        error(i->second.item_pos.front(),
              cat("command in ", where, ": the program must not be empty"));
    }
    if (auto i = fields.find("catalog"); i != fields.end()) {
      if (source.catalog.empty())
        error(i->second.pos,
              cat("catalog in ", where,
                  ": must be the path of a ConfiguredAirbyteCatalog JSON "
                  "file"));
      else if (fs::path{ source.catalog }.is_relative()) {
        std::error_code ec;
        auto abs = fs::absolute(base / source.catalog, ec);
        source.catalog = (ec ? base / source.catalog : abs).lexically_normal();
      }
    }
    cfg.pipeline.sources.emplace(name, std::move(source));
  });
}

void validator::finish_limits(const cluster_config& cfg) {
  // The cluster-wide limits live in the limiter of role monitoring: without
  // it a budget would refuse every call, which the file should say now.
  for (const auto& n : cfg.nodes)
    if (contains(n.roles, "monitoring")) return;
  for (const auto& [name, k] : cfg.api_keys) {
    const char* key = k.daily_budget_cents > 0     ? "daily_budget_cents"
                      : k.monthly_budget_cents > 0 ? "monthly_budget_cents"
                      : k.ai_calls_per_minute > 0  ? "ai_calls_per_minute"
                      : k.tokens_per_minute > 0    ? "tokens_per_minute"
                                                   : nullptr;
    if (key != nullptr)
      error(k.position,
            cat("[api_keys.", name, "] ", key, ": the cluster-wide limits are held by "
                "the limiter of role monitoring, which no node runs; add \"monitoring\" "
                "to a node's roles"));
  }
}

void validator::finish_edge(const cluster_config& cfg) {
  // Who binds a port of a host: a node's cluster port, or a port of an edge
  // node's MCP endpoint.
  struct owner {
    std::string node;
    bool cluster_port;
    std::string what;
  };
  std::map<std::pair<std::string, int64_t>, owner> used;
  for (size_t i = 0; i < cfg.nodes.size(); ++i) {
    const auto& node = cfg.nodes[i];
    const auto& fs = node_fields_[i];
    if (fs.count("host") != 0 && fs.count("port") != 0 && !node.host.empty())
      used.emplace(std::pair{ node.host, int64_t{ node.port } },
                   owner{ node.name,
                          true,
                          cat("the cluster port of node '", node.name, "'") });
  }
  const auto& edge_fs = edge_fields_;
  for (size_t i = 0; i < cfg.nodes.size(); ++i) {
    const auto& node = cfg.nodes[i];
    const auto& fs = node_fields_[i];
    auto edge_port = fs.find("edge_port");
    auto has_edge_port = edge_port != fs.end() && node.edge_port != 0;
    auto where = cat("[[node]] '", node.name, "'");
    if (has_edge_port) {
      if (!contains(node.roles, "edge") && !contains(node.standby, "edge"))
        error(edge_port->second.pos,
              cat("edge_port in ",
                  where,
                  ": the node neither runs nor stands by for the edge role"));
      for (auto key : domain_port_keys())
        if (const auto* port = value_of<int64_t>(edge_fs, key);
            port != nullptr && *port == node.edge_port)
          error(edge_port->second.pos,
                cat("edge_port in ",
                    where,
                    ": ",
                    node.edge_port,
                    " is already ",
                    key,
                    " of [edge]"));
    }
    // Only nodes running the edge role bind the endpoint's ports. A node
    // repeating another one is reported already; its clashes would only
    // repeat that.
    if (!contains(node.roles, "edge") || fs.count("host") == 0 ||
        node.host.empty() || node_duplicates_[i])
      continue;
    if ((has_edge_port || edge_fs.count("port") != 0) &&
        node.mcp_port(cfg.edge) != 0) {
      auto mcp = int64_t{ node.mcp_port(cfg.edge) };
      auto [j, added] = used.emplace(
        std::pair{ node.host, mcp },
        owner{ node.name,
               false,
               cat("the MCP port of edge node '", node.name, "'") });
      if (!added) {
        const auto& other = j->second;
        auto advice = std::string{};
        if (!other.cluster_port)
          advice = "; give one of them its own edge_port";
        error(has_edge_port ? edge_port->second.pos : node.position,
              cat("MCP port ",
                  mcp,
                  " of ",
                  where,
                  " on host ",
                  node.host,
                  " is already ",
                  other.what,
                  advice));
      }
    }
    for (auto key : domain_port_keys()) {
      const auto* port = value_of<int64_t>(edge_fs, key);
      if (port == nullptr || *port == 0) continue;
      auto [j, added] = used.emplace(
        std::pair{ node.host, *port },
        owner{ node.name, false, cat(key, " of edge node '", node.name, "'") });
      // A clash within the node's own endpoint is reported already.
      if (added || (j->second.node == node.name && !j->second.cluster_port))
        continue;
      error(edge_fs.find(key)->second.pos,
            cat(key,
                " in [edge]: edge node '",
                node.name,
                "' would bind ",
                *port,
                " on host ",
                node.host,
                ", which is already ",
                j->second.what));
    }
  }
}

void validator::finish_roles(cluster_config& cfg) {
  std::set<std::string, std::less<>> run;
  for (const auto& node : cfg.nodes)
    run.insert(node.roles.begin(), node.roles.end());
  for (const auto& [name, pos] : role_tables_)
    if (run.count(name) == 0)
      error(pos,
            cat("role '",
                name,
                "' is configured in [roles.",
                name,
                "] but no node runs it"));
  // Every role that runs gets an entry, so callers never need to know
  // whether the file spelled out its defaults.
  for (const auto& name : run) {
    if (cfg.roles.count(name) != 0) continue;
    role_config role;
    role.name = name;
    fields defaults;
    for (const auto* spec : keys_of("roles.*"))
      defaults.emplace(spec->key, field{ default_of(*spec), {}, {} });
    apply(defaults, "roles.*", role);
    cfg.roles.emplace(name, std::move(role));
  }
}

cluster_config validator::run(const toml::table& root) {
  cluster_config cfg;
  cfg.source = file_;
  for (auto&& [key, x] : root) {
    if (find_table(key.str()) != nullptr) continue;
    std::vector<std::string_view> candidates;
    for (const auto& spec : tables())
      candidates.push_back(spec.name);
    auto what = x.is_table() || x.is_array_of_tables() ? "table" : "key";
    auto advice = hint(key.str(), candidates);
    if (find_key("cluster", key.str()) != nullptr)
      advice = "; did you mean to put it under [cluster]?";
    error(at(key.source()),
          cat("unknown ", what, " '", key.str(), "'", advice));
  }
  read_cluster(root, cfg);
  read_nodes(root, cfg);
  read_roles(root, cfg);
  read_services(root, cfg);
  read_models(root, cfg);
  read_edge(root, cfg);
  read_api_keys(root, cfg);
  read_conformance(root, cfg);
  read_pipeline(root, cfg);
  finish_roles(cfg);
  finish_edge(cfg);
  finish_limits(cfg);
  return cfg;
}

// -- rendering ----------------------------------------------------------------

/// Renders a table name bare when TOML allows it.
std::string table_key(std::string_view x) {
  auto bare = !x.empty() && std::all_of(x.begin(), x.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? std::string{ x } : toml_quote(x);
}

std::string render_value(const key_spec& spec, const value& x) {
  if (const auto* b = std::get_if<bool>(&x)) return *b ? "true" : "false";
  if (const auto* n = std::get_if<int64_t>(&x)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&x)) return toml_number(*d);
  if (const auto* s = std::get_if<std::string>(&x)) {
    // The key of [api_keys.NAME] is always a reference once validated; a
    // sha256: digest is not the key either.
    auto reference = spec.table == "api_keys.*" ? is_api_key_reference(*s)
                                                : is_secret_reference(*s);
    if (spec.secret && !s->empty() && !reference)
      return toml_quote("<redacted>");
    return toml_quote(*s);
  }
  return toml_array(std::get<std::vector<std::string>>(x));
}

template <class T>
void render_keys(std::ostream& out, std::string_view table, const T& obj) {
  for (const auto* spec : keys_of(table))
    out << spec->key << " = "
        << render_value(*spec, binding_of<T>(spec->key).get(obj)) << '\n';
}

} // namespace

load_result parse(std::string_view text, const std::string& file) {
  // Validation code is not supposed to throw; this is the last line of
  // defense for a bug or std::bad_alloc, so a caller always gets a result.
  try {
    auto parsed = parse_toml(text, file);
    if (auto* err = std::get_if<syntax_error>(&parsed)) {
      source_position pos{ file,
                           err->where.begin.line,
                           err->where.begin.column };
      if (pos.line == 0) pos = { file, 1, 1 };
      return std::vector<diagnostic>{ { pos, syntax_message(err->message) } };
    }
    validator v{ file };
    auto cfg = v.run(std::get<toml::table>(parsed));
    auto& diags = v.diagnostics();
    if (diags.empty()) return cfg;
    std::stable_sort(diags.begin(), diags.end(), [](auto& a, auto& b) {
      return std::pair{ a.position.line, a.position.column } <
             std::pair{ b.position.line, b.position.column };
    });
    return std::move(diags);
  } catch (const std::exception& e) {
    return std::vector<diagnostic>{
      { { file, 1, 1 },
        cat("internal error while reading configuration: ", e.what()) }
    };
  }
}

load_result load(const std::string& path) {
  auto fail = [&](std::string why) {
    return std::vector<diagnostic>{
      { { path, 1, 1 }, cat("cannot read configuration file: ", why) }
    };
  };
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return fail("is a directory");
    errno = 0;
    std::ifstream in{ path, std::ios::binary };
    if (!in)
      return fail(
        errno != 0 ? std::error_code{ errno, std::generic_category() }.message()
                   : "cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fail("read error");
    return parse(text.str(), path);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

std::string render_effective(const cluster_config& cfg) {
  std::ostringstream out;
  out << "# Effective configuration (defaults filled in), read from "
      << toml_quote(cfg.source) << ".\n";
  out << "\n[cluster]\n";
  render_keys(out, "cluster", cfg);
  for (const auto& node : cfg.nodes) {
    out << "\n[[node]]\n";
    render_keys(out, "node", node);
  }
  for (const auto& [name, role] : cfg.roles) {
    out << "\n[roles." << table_key(name) << "]\n";
    render_keys(out, "roles.*", role);
  }
  for (const auto& [name, svc] : cfg.services) {
    out << "\n[services." << table_key(name) << "]\n";
    render_keys(out, "services.*", svc);
  }
  for (const auto& [name, model] : cfg.models) {
    out << "\n[models." << table_key(name) << "]\n";
    render_keys(out, "models.*", model);
  }
  out << "\n[edge]\n";
  render_keys(out, "edge", cfg.edge);
  for (const auto& [name, api_key] : cfg.api_keys) {
    out << "\n[api_keys." << table_key(name) << "]\n";
    render_keys(out, "api_keys.*", api_key);
  }
  out << "\n[conformance]\n";
  render_keys(out, "conformance", cfg.conformance);
  out << "\n[pipeline]\n";
  render_keys(out, "pipeline", cfg.pipeline);
  for (const auto& [name, source] : cfg.pipeline.sources) {
    out << "\n[pipeline.sources." << table_key(name) << "]\n";
    render_keys(out, "pipeline.sources.*", source);
    auto config = nlohmann::json::parse(source.config_json, nullptr, false);
    if (!config.is_discarded() && !config.empty())
      out << "config = " << to_toml(config) << '\n';
  }
  return out.str();
}

std::optional<cluster_config> load_or_report(const std::string& path,
                                             const std::string& node,
                                             std::ostream& err) {
  auto loaded = load(path);
  if (auto diags = std::get_if<std::vector<diagnostic>>(&loaded)) {
    for (auto& d : *diags)
      err << d.to_string() << "\n";
    return std::nullopt;
  }
  auto& cfg = std::get<cluster_config>(loaded);
  if (!node.empty() && !cfg.find_node(node)) {
    std::string names;
    for (auto& n : cfg.nodes)
      names += (names.empty() ? "" : ", ") + n.name;
    err << diagnostic{ { path, 1, 1 },
                       "no [[node]] named '" + node + "' (nodes: " + names +
                         ")" }
             .to_string()
        << "\n";
    return std::nullopt;
  }
  return std::move(cfg);
}

} // namespace sophia::runtime::config
