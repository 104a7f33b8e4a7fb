#include "runtime/json/json_schema.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <deque>
#include <map>
#include <numeric>
#include <optional>
#include <regex>
#include <string_view>
#include <utility>

namespace sophia::runtime::json {

namespace {

using nlohmann::json;

/// How deeply subschemas may nest in the schema document. Real tool schemas
/// stay far below; the limit keeps compile's recursion off the stack's end.
constexpr size_t max_schema_nesting = 256;

/// How deeply subschema evaluations may nest while validating. Bounded by
/// the schema nesting times the $ref depth anyway; this keeps the product
/// small enough for any thread's stack.
constexpr size_t max_eval_depth = 512;

// -- helpers ------------------------------------------------------------------

/// Appends `key` to the JSON pointer `path`, escaping `~` and `/` (RFC 6901).
void append_token(std::string& path, std::string_view key) {
  path += '/';
  for (auto c : key) {
    if (c == '~')
      path += "~0";
    else if (c == '/')
      path += "~1";
    else
      path += c;
  }
}

std::string child_pointer(const std::string& path, std::string_view key) {
  auto result = path;
  append_token(result, key);
  return result;
}

/// Renders a pointer for messages: the root is "/" rather than "".
std::string show_pointer(const std::string& path) {
  return path.empty() ? std::string{ "/" } : path;
}

/// Dumps `value` for a message, cut short so one huge instance cannot turn
/// a violation into a megabyte of text.
std::string brief(const json& value) {
  constexpr size_t limit = 80;
  auto text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

/// The JSON Schema type name of `value` for "got ..." in messages.
std::string_view type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    case json::value_t::string: return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    default: return "unknown";
  }
}

/// The bits of the `type` keyword an instance satisfies.
enum type_bit : uint8_t {
  null_bit = 1,
  boolean_bit = 2,
  object_bit = 4,
  array_bit = 8,
  number_bit = 16,
  string_bit = 32,
  integer_bit = 64,
};

std::optional<uint8_t> type_bit_of(std::string_view name) {
  if (name == "null") return null_bit;
  if (name == "boolean") return boolean_bit;
  if (name == "object") return object_bit;
  if (name == "array") return array_bit;
  if (name == "number") return number_bit;
  if (name == "string") return string_bit;
  if (name == "integer") return integer_bit;
  return std::nullopt;
}

bool is_integral(double x) {
  return std::isfinite(x) && std::floor(x) == x;
}

uint8_t type_bits(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return null_bit;
    case json::value_t::boolean: return boolean_bit;
    case json::value_t::object: return object_bit;
    case json::value_t::array: return array_bit;
    case json::value_t::string: return string_bit;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return number_bit | integer_bit;
    case json::value_t::number_float:
      // The spec counts 3.0 as an integer: it is the same number as 3.
      return is_integral(value.get<double>()) ? number_bit | integer_bit
                                              : number_bit;
    default: return 0;
  }
}

/// Holds any JSON integer (int64 or uint64) without loss.
__int128 wide(const json& value) {
  if (value.is_number_unsigned())
    return static_cast<__int128>(value.get<uint64_t>());
  return static_cast<__int128>(value.get<int64_t>());
}

/// Compares two JSON numbers: exactly when both are integers (doubles lose
/// precision above 2^53), as doubles otherwise.
int compare_numbers(const json& a, const json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    auto x = wide(a);
    auto y = wide(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  auto x = a.get<double>();
  auto y = b.get<double>();
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool is_multiple_of(const json& value, const json& divisor) {
  if (value.is_number_integer() && divisor.is_number_integer())
    return wide(value) % wide(divisor) == 0;
  auto q = value.get<double>() / divisor.get<double>();
  if (!std::isfinite(q)) return false;
  // Decimal divisors are inexact in binary (0.3 / 0.1 = 2.9999999999999996):
  // accept a quotient within a few ulps of an integer.
  return std::fabs(q - std::nearbyint(q)) <=
         8 * DBL_EPSILON * std::max(1.0, std::fabs(q));
}

/// Counts Unicode code points of UTF-8 text: every byte but continuation
/// bytes (10xxxxxx) starts one.
size_t code_points(std::string_view text) {
  return static_cast<size_t>(
    std::count_if(text.begin(), text.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

std::string plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + ' ' + std::string{ n == 1 ? one : many };
}

/// Decodes %XX escapes of a URI fragment; malformed escapes stay as they are.
std::string percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string result;
  result.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
        hex(text[i + 2]) >= 0) {
      result += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      result += text[i];
    }
  }
  return result;
}

// -- the compiled form --------------------------------------------------------

/// A regular expression with the text it came from (for messages).
/// libstdc++ 12's std::regex reads the number of a back-reference (\N) or
/// of a repetition ({N,M}) into a `long` without checking for overflow:
/// undefined behaviour on 20 digits (found by fuzzing). Patterns are refused
/// before it sees one over 6 digits; a repetition that large is refused by
/// std::regex itself anyway (over 100,000 NFA states).
std::optional<std::string> oversized_number(std::string_view p) {
  constexpr size_t max_digits = 6;
  auto digits_at = [&](size_t i) {
    size_t j = i;
    while (j < p.size() && p[j] >= '0' && p[j] <= '9') ++j;
    return j - i;
  };
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      if (digits_at(i + 1) > max_digits)
        return "back-reference number over " + std::to_string(max_digits) +
               " digits at offset " + std::to_string(i);
      ++i; // the escaped character is never a quantifier
    } else if (p[i] == '{') {
      size_t j = i + 1;
      for (int part = 0; part < 2; ++part) {
        auto n = digits_at(j);
        if (n > max_digits)
          return "repetition count over " + std::to_string(max_digits) +
                 " digits at offset " + std::to_string(j);
        j += n;
        if (j >= p.size() || p[j] != ',') break;
        ++j;
      }
    }
  }
  return std::nullopt;
}

struct pattern {
  std::string source;
  std::regex re;
};

/// One compiled subschema. Pointers to JSON values point into the document
/// that the shared state owns and never changes.
struct node {
  /// JSON pointer of this subschema in the document ("" for the root).
  std::string where;
  bool is_bool = false;
  bool bool_value = true;
  uint8_t types = 0;
  std::vector<std::string> type_names; // in schema order, for messages
  const json* enum_values = nullptr;
  const json* const_value = nullptr;
  // objects
  std::map<std::string, const node*, std::less<>> properties;
  std::vector<std::string> required;
  const node* additional_properties = nullptr;
  std::vector<std::pair<pattern, const node*>> pattern_properties;
  const node* property_names = nullptr;
  std::optional<size_t> min_properties;
  std::optional<size_t> max_properties;
  std::vector<std::pair<std::string, std::vector<std::string>>>
    dependent_required;
  std::vector<std::pair<std::string, const node*>> dependent_schemas;
  // arrays
  std::vector<const node*> prefix_items;
  const node* items = nullptr; // the items after prefix_items
  std::optional<size_t> min_items;
  std::optional<size_t> max_items;
  bool unique_items = false;
  const node* contains = nullptr;
  std::optional<size_t> min_contains;
  std::optional<size_t> max_contains;
  // strings
  std::optional<size_t> min_length;
  std::optional<size_t> max_length;
  std::optional<pattern> pattern_;
  // numbers
  const json* minimum = nullptr;
  const json* maximum = nullptr;
  const json* exclusive_minimum = nullptr;
  const json* exclusive_maximum = nullptr;
  const json* multiple_of = nullptr;
  // applicators
  std::vector<const node*> all_of;
  std::vector<const node*> any_of;
  std::vector<const node*> one_of;
  const node* not_ = nullptr;
  const node* if_ = nullptr;
  const node* then_ = nullptr;
  const node* else_ = nullptr;
  const node* ref = nullptr;
  // compile-time only: the cycle check's DFS colour
  int mark = 0;
};

} // namespace

namespace detail {

struct json_schema_state {
  nlohmann::json document;
  std::deque<node> nodes; // a deque: nodes point at each other
  const node* root = nullptr;
};

} // namespace detail

namespace {

using detail::json_schema_state;

// -- compiling ----------------------------------------------------------------

/// Turns a schema document into nodes; stops at the first problem.
class compiler {
public:
  explicit compiler(json_schema_state& st)
    : st_(st) {}

  /// Returns the error, empty on success.
  std::string run() {
    st_.root = compile(st_.document, "", 0);
    if (st_.root == nullptr) return error_;
    // Resolving may compile new subschemas (a $ref into an unknown keyword),
    // which may hold refs of their own: loop until none is left.
    while (!pending_.empty()) {
      auto [from, target, where] = std::move(pending_.back());
      pending_.pop_back();
      auto* to = resolve(target, where);
      if (to == nullptr) return error_;
      from->ref = to;
    }
    check_cycles();
    return error_;
  }

private:
  /// Records the first error; returns nullptr to let callers bail out.
  node* fail(const std::string& where, const std::string& message) {
    if (error_.empty()) error_ = show_pointer(where) + ": " + message;
    return nullptr;
  }

  /// `fail` for functions returning bool.
  bool reject(const std::string& where, const std::string& message) {
    fail(where, message);
    return false;
  }

  node* compile(const json& s, const std::string& where, size_t depth) {
    if (auto i = by_pointer_.find(where); i != by_pointer_.end())
      return i->second;
    if (depth > max_schema_nesting)
      return fail(where,
                  "schema nested deeper than " +
                    std::to_string(max_schema_nesting) + " levels");
    auto& n = st_.nodes.emplace_back();
    n.where = where;
    by_pointer_.emplace(where, &n);
    if (s.is_boolean()) {
      n.is_bool = true;
      n.bool_value = s.get<bool>();
      return &n;
    }
    if (!s.is_object())
      return fail(where, "schema must be an object or a boolean");
    const json* additional_items = nullptr;
    std::string additional_items_where;
    bool items_is_array = false;
    bool exclusive_min_flag = false;
    bool exclusive_max_flag = false;
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
    for (const auto& item : s.items()) {
      const auto& key = item.key();
      const auto& value = item.value();
      auto kw = child_pointer(where, key);
      auto sub = [&](const json& v, const std::string& at) {
        return compile(v, at, depth + 1);
      };
      auto sub_here = [&]() -> const node* { return sub(value, kw); };
      if (key == "$ref") {
        if (!value.is_string()) return fail(kw, "$ref must be a string");
        pending_.emplace_back(&n, value.get<std::string>(), kw);
      } else if (key == "$defs" || key == "definitions") {
        if (!value.is_object()) return fail(kw, key + " must be an object");
        for (const auto& [name, def] : value.items())
          if (!sub(def, child_pointer(kw, name))) return nullptr;
      } else if (key == "$anchor") {
        if (!value.is_string()) return fail(kw, "$anchor must be a string");
        if (!anchors_.emplace(value.get<std::string>(), &n).second)
          return fail(kw,
                      "duplicate $anchor '" + value.get<std::string>() + "'");
      } else if (key == "type") {
        if (!compile_type(n, value, kw)) return nullptr;
      } else if (key == "enum") {
        if (!value.is_array()) return fail(kw, "enum must be an array");
        n.enum_values = &value;
      } else if (key == "const") {
        n.const_value = &value;
      } else if (key == "properties") {
        if (!value.is_object()) return fail(kw, "properties must be an object");
        for (const auto& [name, prop] : value.items()) {
          auto* p = sub(prop, child_pointer(kw, name));
          if (!p) return nullptr;
          n.properties.emplace(name, p);
        }
      } else if (key == "required") {
        if (!strings(value, n.required))
          return fail(kw, "required must be an array of strings");
      } else if (key == "additionalProperties") {
        if (!(n.additional_properties = sub_here())) return nullptr;
      } else if (key == "patternProperties") {
        if (!value.is_object())
          return fail(kw, "patternProperties must be an object");
        for (const auto& [source, prop] : value.items()) {
          auto at = child_pointer(kw, source);
          auto re = regex(source, at);
          if (!re) return nullptr;
          auto* p = sub(prop, at);
          if (!p) return nullptr;
          n.pattern_properties.emplace_back(std::move(*re), p);
        }
      } else if (key == "propertyNames") {
        if (!(n.property_names = sub_here())) return nullptr;
      } else if (key == "minProperties") {
        if (!count(value, kw, n.min_properties)) return nullptr;
      } else if (key == "maxProperties") {
        if (!count(value, kw, n.max_properties)) return nullptr;
      } else if (key == "dependentRequired") {
        if (!value.is_object())
          return fail(kw, "dependentRequired must be an object");
        for (const auto& [name, names] : value.items()) {
          std::vector<std::string> list;
          if (!strings(names, list))
            return fail(child_pointer(kw, name),
                        "dependentRequired values must be arrays of strings");
          n.dependent_required.emplace_back(name, std::move(list));
        }
      } else if (key == "dependentSchemas") {
        if (!value.is_object())
          return fail(kw, "dependentSchemas must be an object");
        for (const auto& [name, dep] : value.items()) {
          auto* p = sub(dep, child_pointer(kw, name));
          if (!p) return nullptr;
          n.dependent_schemas.emplace_back(name, p);
        }
      } else if (key == "items") {
        if (value.is_array()) {
          // Draft-07 tuple form: the same as 2020-12's prefixItems.
          items_is_array = true;
          if (!schema_list(value, kw, depth, n.prefix_items, true))
            return nullptr;
        } else if (!(n.items = sub_here())) {
          return nullptr;
        }
      } else if (key == "additionalItems") {
        additional_items = &value;
        additional_items_where = kw;
      } else if (key == "prefixItems") {
        if (!schema_list(value, kw, depth, n.prefix_items, true))
          return nullptr;
      } else if (key == "minItems") {
        if (!count(value, kw, n.min_items)) return nullptr;
      } else if (key == "maxItems") {
        if (!count(value, kw, n.max_items)) return nullptr;
      } else if (key == "uniqueItems") {
        if (!value.is_boolean())
          return fail(kw, "uniqueItems must be a boolean");
        n.unique_items = value.get<bool>();
      } else if (key == "contains") {
        if (!(n.contains = sub_here())) return nullptr;
      } else if (key == "minContains") {
        if (!count(value, kw, n.min_contains)) return nullptr;
      } else if (key == "maxContains") {
        if (!count(value, kw, n.max_contains)) return nullptr;
      } else if (key == "minLength") {
        if (!count(value, kw, n.min_length)) return nullptr;
      } else if (key == "maxLength") {
        if (!count(value, kw, n.max_length)) return nullptr;
      } else if (key == "pattern") {
        if (!value.is_string()) return fail(kw, "pattern must be a string");
        if (!(n.pattern_ = regex(value.get<std::string>(), kw))) return nullptr;
      } else if (key == "minimum" || key == "maximum" || key == "multipleOf") {
        if (!value.is_number()) return fail(kw, key + " must be a number");
        if (key == "minimum") {
          n.minimum = &value;
        } else if (key == "maximum") {
          n.maximum = &value;
        } else {
          if (compare_numbers(value, json(0)) <= 0)
            return fail(kw, "multipleOf must be greater than 0");
          n.multiple_of = &value;
        }
      } else if (key == "exclusiveMinimum" || key == "exclusiveMaximum") {
        // A boolean is draft-04's spelling: it makes minimum/maximum strict.
        auto is_min = key == "exclusiveMinimum";
        if (value.is_boolean())
          (is_min ? exclusive_min_flag : exclusive_max_flag) =
            value.get<bool>();
        else if (value.is_number())
          (is_min ? n.exclusive_minimum : n.exclusive_maximum) = &value;
        else
          return fail(kw, key + " must be a number");
      } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
        auto& list =
          key == "allOf" ? n.all_of : (key == "anyOf" ? n.any_of : n.one_of);
        if (!schema_list(value, kw, depth, list, false)) return nullptr;
      } else if (key == "not") {
        if (!(n.not_ = sub_here())) return nullptr;
      } else if (key == "if") {
        if (!(n.if_ = sub_here())) return nullptr;
      } else if (key == "then") {
        if (!(n.then_ = sub_here())) return nullptr;
      } else if (key == "else") {
        if (!(n.else_ = sub_here())) return nullptr;
      }
      // Anything else is an annotation or a keyword we do not know: ignored.
    }
    // additionalItems only means something next to the array form of items.
    if (items_is_array && additional_items != nullptr)
      if (!(n.items =
              compile(*additional_items, additional_items_where, depth + 1)))
        return nullptr;
    if (exclusive_min_flag && n.minimum != nullptr && !n.exclusive_minimum)
      std::swap(n.minimum, n.exclusive_minimum);
    if (exclusive_max_flag && n.maximum != nullptr && !n.exclusive_maximum)
      std::swap(n.maximum, n.exclusive_maximum);
    return &n;
  }

  bool compile_type(node& n, const json& value, const std::string& kw) {
    auto add = [&](const json& name, const std::string& at) {
      if (!name.is_string()) return reject(at, "type names must be strings");
      auto text = name.get<std::string>();
      auto bit = type_bit_of(text);
      if (!bit) return reject(at, "unknown type '" + text + "'");
      if ((n.types & *bit) != 0)
        return reject(at, "duplicate type '" + text + "'");
      n.types |= *bit;
      n.type_names.push_back(std::move(text));
      return true;
    };
    if (value.is_string()) return add(value, kw);
    if (!value.is_array() || value.empty())
      return reject(kw,
                    "type must be a string or a non-empty array of strings");
    for (size_t i = 0; i < value.size(); ++i)
      if (!add(value[i], child_pointer(kw, std::to_string(i)))) return false;
    return true;
  }

  bool schema_list(const json& value,
                   const std::string& kw,
                   size_t depth,
                   std::vector<const node*>& out,
                   bool allow_empty) {
    if (!value.is_array() || (!allow_empty && value.empty()))
      return reject(
        kw,
        std::string{ allow_empty ? "must be an" : "must be a non-empty" } +
          " array of schemas");
    for (size_t i = 0; i < value.size(); ++i) {
      auto* p =
        compile(value[i], child_pointer(kw, std::to_string(i)), depth + 1);
      if (!p) return false;
      out.push_back(p);
    }
    return true;
  }

  static bool strings(const json& value, std::vector<std::string>& out) {
    if (!value.is_array()) return false;
    for (const auto& x : value) {
      if (!x.is_string()) return false;
      out.push_back(x.get<std::string>());
    }
    return true;
  }

  /// Reads a non-negative integer (3.0 counts as 3).
  bool count(const json& value,
             const std::string& kw,
             std::optional<size_t>& out) {
    if (value.is_number_unsigned()) {
      out = static_cast<size_t>(value.get<uint64_t>());
      return true;
    }
    if (value.is_number_integer() && value.get<int64_t>() >= 0) {
      out = static_cast<size_t>(value.get<int64_t>());
      return true;
    }
    if (value.is_number_float() && value.get<double>() >= 0 &&
        is_integral(value.get<double>()) && value.get<double>() < 1e18) {
      out = static_cast<size_t>(value.get<double>());
      return true;
    }
    return reject(kw, "must be a non-negative integer");
  }

  std::optional<pattern> regex(const std::string& source,
                               const std::string& kw) {
    if (auto why = oversized_number(source)) {
      fail(kw, "invalid regular expression '" + source + "': " + *why);
      return std::nullopt;
    }
    try {
      return pattern{ source, std::regex{ source, std::regex::ECMAScript } };
    } catch (const std::regex_error& e) {
      fail(kw, "invalid regular expression '" + source + "': " + e.what());
      return std::nullopt;
    }
  }

  /// Finds (compiling it if needed) the subschema that `target`, the $ref at
  /// `where`, names.
  const node* resolve(const std::string& target, const std::string& where) {
    std::string_view ref = target;
    // A ref may spell out the document's own $id before its fragment.
    if (auto id = st_.document.find("$id");
        id != st_.document.end() && id->is_string()) {
      std::string_view base = id->get_ref<const std::string&>();
      if (auto hash = base.find('#'); hash != std::string_view::npos)
        base = base.substr(0, hash);
      if (!base.empty() && ref.substr(0, base.size()) == base)
        ref.remove_prefix(base.size());
    }
    if (ref.empty()) ref = "#";
    if (ref.front() != '#')
      return fail(where,
                  "unsupported $ref '" + target +
                    "': only refs within the schema (#...) resolve");
    auto fragment = percent_decode(ref.substr(1));
    if (!fragment.empty() && fragment.front() != '/') {
      if (auto i = anchors_.find(fragment); i != anchors_.end())
        return i->second;
      return fail(where, "unresolvable $ref '" + target + "'");
    }
    if (auto i = by_pointer_.find(fragment); i != by_pointer_.end())
      return i->second;
    const json* found = nullptr;
    try {
      found = &st_.document.at(json::json_pointer{ fragment });
    } catch (const json::exception&) {
      return fail(where, "unresolvable $ref '" + target + "'");
    }
    // The target sits outside every subschema compiled so far (under an
    // unknown keyword): compile it now. Its nesting depth is unknown; 0 is
    // fine since the document's own depth bounds the recursion.
    return compile(*found, fragment, 0);
  }

  /// The subschemas that `n` applies to the same instance, with the pointer
  /// of the keyword that does so.
  static std::vector<std::pair<const node*, std::string>> same_instance_edges(
    const node& n) {
    std::vector<std::pair<const node*, std::string>> edges;
    if (n.ref) edges.emplace_back(n.ref, child_pointer(n.where, "$ref"));
    for (auto* list : { &n.all_of, &n.any_of, &n.one_of })
      for (auto* p : *list)
        edges.emplace_back(p, p->where);
    for (auto* p : { n.not_, n.if_, n.then_, n.else_ })
      if (p) edges.emplace_back(p, p->where);
    for (const auto& [name, p] : n.dependent_schemas)
      edges.emplace_back(p, p->where);
    return edges;
  }

  /// Rejects loops of $ref (and allOf, not, ...) that return to a subschema
  /// without descending into the instance: evaluating them never ends.
  /// Iterative, so a long $ref chain cannot exhaust the stack here either.
  void check_cycles() {
    struct frame {
      node* n;
      std::vector<std::pair<const node*, std::string>> edges;
      size_t next = 0;
    };
    for (auto& start : st_.nodes) {
      if (start.mark != 0) continue;
      std::vector<frame> stack;
      start.mark = 1;
      stack.push_back({ &start, same_instance_edges(start) });
      while (!stack.empty() && error_.empty()) {
        auto& top = stack.back();
        if (top.next == top.edges.size()) {
          top.n->mark = 2;
          stack.pop_back();
          continue;
        }
        const auto& [to_const, via] = top.edges[top.next++];
        auto* to = const_cast<node*>(to_const);
        if (to->mark == 2) continue;
        if (to->mark == 1) {
          // Name a $ref of the loop: that is where the loop was written.
          auto at = via;
          auto i = std::find_if(stack.begin(),
                                stack.end(),
                                [&](const frame& f) { return f.n == to; });
          for (; i != stack.end(); ++i) {
            const auto& e = i->edges[i->next - 1];
            if (e.second.ends_with("/$ref")) {
              at = e.second;
              break;
            }
          }
          fail(at,
               "$ref cycle: evaluation would loop without descending into "
               "the instance");
          return;
        }
        to->mark = 1;
        auto edges = same_instance_edges(*to);
        stack.push_back({ to, std::move(edges) });
      }
      if (!error_.empty()) return;
    }
  }

  json_schema_state& st_;
  std::string error_;
  std::map<std::string, node*> by_pointer_;
  std::map<std::string, node*> anchors_;
  std::vector<std::tuple<node*, std::string, std::string>> pending_;
};

// -- validating ---------------------------------------------------------------

struct violation {
  std::string path;
  std::string message;
};

/// Where validation stands: the current instance pointer and where the
/// violations go (at most `limit`, then everything stops early).
struct context {
  std::vector<violation>* out;
  size_t limit;
  std::string path;
  size_t ref_depth = 0;
  size_t depth = 0;

  bool full() const { return out->size() >= limit; }

  void fail(std::string message) {
    if (!full()) out->push_back({ show_pointer(path), std::move(message) });
  }

  /// A context for a trial evaluation (anyOf branches, if, not, ...): same
  /// place, own sink, stops at the first violation.
  context trial(std::vector<violation>& sink) const {
    return context{ &sink, 1, path, ref_depth, depth };
  }
};

/// Appends a key or index to the context's path for one scope.
class path_scope {
public:
  path_scope(context& ctx, std::string_view token)
    : ctx_(ctx)
    , size_(ctx.path.size()) {
    append_token(ctx.path, token);
  }
  path_scope(context& ctx, size_t index)
    : path_scope(ctx, std::to_string(index)) {}
  ~path_scope() { ctx_.path.resize(size_); }
  path_scope(const path_scope&) = delete;
  path_scope& operator=(const path_scope&) = delete;

private:
  context& ctx_;
  size_t size_;
};

void eval(const node& n, const json& v, context& ctx);

/// Evaluates `n` on its own; returns the first violation if any.
std::optional<violation> first_violation(const node& n,
                                         const json& v,
                                         const context& ctx) {
  std::vector<violation> sink;
  auto sub = ctx.trial(sink);
  eval(n, v, sub);
  if (sink.empty()) return std::nullopt;
  return std::move(sink.front());
}

bool matches(const node& n, const json& v, const context& ctx) {
  return !first_violation(n, v, ctx).has_value();
}

bool search(const pattern& p, const std::string& text) {
  return text.size() <= json_schema::max_pattern_input &&
         std::regex_search(text, p.re);
}

std::string type_list(const node& n) {
  std::string text;
  for (size_t i = 0; i < n.type_names.size(); ++i) {
    if (i > 0) text += i + 1 == n.type_names.size() ? " or " : ", ";
    text += n.type_names[i];
  }
  return text;
}

void eval_object(const node& n, const json& v, context& ctx) {
  auto size = v.size();
  if (n.min_properties && size < *n.min_properties)
    ctx.fail("expected at least " +
             plural(*n.min_properties, "property", "properties") + ", got " +
             std::to_string(size));
  if (n.max_properties && size > *n.max_properties)
    ctx.fail("expected at most " +
             plural(*n.max_properties, "property", "properties") + ", got " +
             std::to_string(size));
  for (const auto& name : n.required)
    if (!v.contains(name)) ctx.fail("missing required property '" + name + "'");
  for (const auto& [name, names] : n.dependent_required)
    if (v.contains(name))
      for (const auto& other : names)
        if (!v.contains(other))
          ctx.fail("property '" + name + "' requires property '" + other + "'");
  for (const auto& [key, value] : v.items()) {
    if (ctx.full()) return;
    path_scope scope{ ctx, key };
    auto evaluated = false;
    if (auto i = n.properties.find(key); i != n.properties.end()) {
      evaluated = true;
      eval(*i->second, value, ctx);
    }
    for (const auto& [re, sub] : n.pattern_properties) {
      if (search(re, key)) {
        evaluated = true;
        eval(*sub, value, ctx);
      }
    }
    if (!evaluated && n.additional_properties) {
      if (n.additional_properties->is_bool &&
          !n.additional_properties->bool_value)
        ctx.fail("additional property not allowed");
      else
        eval(*n.additional_properties, value, ctx);
    }
    if (n.property_names) {
      // The name is an instance of its own, a string at the root.
      auto name_ctx = ctx;
      name_ctx.path.clear();
      if (auto bad = first_violation(*n.property_names, json(key), name_ctx))
        ctx.fail("invalid property name: " + bad->message);
    }
  }
  for (const auto& [name, sub] : n.dependent_schemas)
    if (v.contains(name)) eval(*sub, v, ctx);
}

void eval_array(const node& n, const json& v, context& ctx) {
  auto size = v.size();
  if (n.min_items && size < *n.min_items)
    ctx.fail("expected at least " + plural(*n.min_items, "item", "items") +
             ", got " + std::to_string(size));
  if (n.max_items && size > *n.max_items)
    ctx.fail("expected at most " + plural(*n.max_items, "item", "items") +
             ", got " + std::to_string(size));
  for (size_t i = 0; i < size && !ctx.full(); ++i) {
    const node* sub = i < n.prefix_items.size() ? n.prefix_items[i] : n.items;
    if (sub == nullptr) continue;
    path_scope scope{ ctx, i };
    if (sub->is_bool && !sub->bool_value && i >= n.prefix_items.size())
      ctx.fail("additional item not allowed");
    else
      eval(*sub, v[i], ctx);
  }
  if (n.unique_items && size > 1) {
    // Sort indices instead of comparing all pairs: O(n log n) on big arrays.
    // json's ordering agrees with its equality (1 == 1.0 in both).
    std::vector<size_t> order(size);
    std::iota(order.begin(), order.end(), size_t{ 0 });
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return v[a] < v[b];
    });
    // Report the duplicate a left-to-right scan would meet first.
    std::optional<std::pair<size_t, size_t>> first;
    for (size_t i = 0; i + 1 < size;) {
      auto j = i + 1;
      if (v[order[i]] == v[order[j]]) {
        if (!first || order[j] < first->second)
          first = std::pair{ order[i], order[j] };
        while (j < size && v[order[i]] == v[order[j]])
          ++j;
      }
      i = j;
    }
    if (first)
      ctx.fail("duplicate items at " + std::to_string(first->first) + " and " +
               std::to_string(first->second));
  }
  if (n.contains) {
    size_t hits = 0;
    for (size_t i = 0; i < size; ++i) {
      path_scope scope{ ctx, i };
      if (matches(*n.contains, v[i], ctx)) ++hits;
    }
    auto least = n.min_contains.value_or(1);
    if (hits < least)
      ctx.fail("expected at least " + plural(least, "item", "items") +
               " matching 'contains', got " + std::to_string(hits));
    if (n.max_contains && hits > *n.max_contains)
      ctx.fail("expected at most " + plural(*n.max_contains, "item", "items") +
               " matching 'contains', got " + std::to_string(hits));
  }
}

void eval_string(const node& n, const std::string& text, context& ctx) {
  if (n.min_length || n.max_length) {
    auto length = code_points(text);
    if (n.min_length && length < *n.min_length)
      ctx.fail("expected at least " +
               plural(*n.min_length, "character", "characters") + ", got " +
               std::to_string(length));
    if (n.max_length && length > *n.max_length)
      ctx.fail("expected at most " +
               plural(*n.max_length, "character", "characters") + ", got " +
               std::to_string(length));
  }
  if (n.pattern_) {
    if (text.size() > json_schema::max_pattern_input)
      ctx.fail("string too long to check against pattern '" +
               n.pattern_->source + "' (over " +
               std::to_string(json_schema::max_pattern_input) + " bytes)");
    else if (!std::regex_search(text, n.pattern_->re))
      ctx.fail("does not match pattern '" + n.pattern_->source + "'");
  }
}

void eval_number(const node& n, const json& v, context& ctx) {
  auto got = ", got " + brief(v);
  if (n.minimum && compare_numbers(v, *n.minimum) < 0)
    ctx.fail("expected >= " + brief(*n.minimum) + got);
  if (n.exclusive_minimum && compare_numbers(v, *n.exclusive_minimum) <= 0)
    ctx.fail("expected > " + brief(*n.exclusive_minimum) + got);
  if (n.maximum && compare_numbers(v, *n.maximum) > 0)
    ctx.fail("expected <= " + brief(*n.maximum) + got);
  if (n.exclusive_maximum && compare_numbers(v, *n.exclusive_maximum) >= 0)
    ctx.fail("expected < " + brief(*n.exclusive_maximum) + got);
  if (n.multiple_of && !is_multiple_of(v, *n.multiple_of))
    ctx.fail("expected a multiple of " + brief(*n.multiple_of) + got);
}

/// "matches no schema in anyOf ([0] expected string, got integer; ...)".
void fail_no_branch(const std::vector<const node*>& branches,
                    std::string_view keyword,
                    const json& v,
                    context& ctx) {
  constexpr size_t shown = 5;
  std::string text = "matches no schema in " + std::string{ keyword } + " (";
  for (size_t i = 0; i < branches.size() && i < shown; ++i) {
    if (i > 0) text += "; ";
    text += "[" + std::to_string(i) + "] ";
    if (auto bad = first_violation(*branches[i], v, ctx)) {
      if (bad->path != show_pointer(ctx.path)) text += bad->path + ": ";
      text += bad->message;
    }
  }
  if (branches.size() > shown) text += "; ...";
  ctx.fail(text + ")");
}

void eval(const node& n, const json& v, context& ctx) {
  if (ctx.full()) return;
  if (ctx.depth >= max_eval_depth) {
    ctx.fail("schema evaluation nested deeper than " +
             std::to_string(max_eval_depth) + " levels");
    return;
  }
  ++ctx.depth;
  struct leave {
    context& c;
    ~leave() { --c.depth; }
  } guard{ ctx };
  if (n.is_bool) {
    if (!n.bool_value) ctx.fail("value not allowed");
    return;
  }
  if (n.ref) {
    if (ctx.ref_depth >= json_schema::max_ref_depth) {
      ctx.fail("$ref nesting exceeds " +
               std::to_string(json_schema::max_ref_depth) + " levels");
      return;
    }
    ++ctx.ref_depth;
    eval(*n.ref, v, ctx);
    --ctx.ref_depth;
  }
  // A wrong type makes every other keyword's complaint noise: stop here.
  if (n.types != 0 && (type_bits(v) & n.types) == 0) {
    ctx.fail("expected " + type_list(n) + ", got " +
             std::string{ type_name(v) });
    return;
  }
  if (n.enum_values &&
      std::find(n.enum_values->begin(), n.enum_values->end(), v) ==
        n.enum_values->end())
    ctx.fail("expected one of " + brief(*n.enum_values) + ", got " + brief(v));
  if (n.const_value && v != *n.const_value)
    ctx.fail("expected " + brief(*n.const_value) + ", got " + brief(v));
  if (v.is_object())
    eval_object(n, v, ctx);
  else if (v.is_array())
    eval_array(n, v, ctx);
  else if (v.is_string())
    eval_string(n, v.get_ref<const std::string&>(), ctx);
  else if (v.is_number())
    eval_number(n, v, ctx);
  for (auto* sub : n.all_of)
    eval(*sub, v, ctx);
  if (!n.any_of.empty() &&
      std::none_of(n.any_of.begin(), n.any_of.end(), [&](const node* sub) {
        return matches(*sub, v, ctx);
      }))
    fail_no_branch(n.any_of, "anyOf", v, ctx);
  if (!n.one_of.empty()) {
    std::vector<size_t> hits;
    for (size_t i = 0; i < n.one_of.size() && hits.size() < 2; ++i)
      if (matches(*n.one_of[i], v, ctx)) hits.push_back(i);
    if (hits.empty())
      fail_no_branch(n.one_of, "oneOf", v, ctx);
    else if (hits.size() > 1)
      ctx.fail("matches more than one schema in oneOf (" +
               std::to_string(hits[0]) + " and " + std::to_string(hits[1]) +
               ")");
  }
  if (n.not_ && matches(*n.not_, v, ctx))
    ctx.fail("must not match the schema in 'not'");
  if (n.if_) {
    if (matches(*n.if_, v, ctx)) {
      if (n.then_) eval(*n.then_, v, ctx);
    } else if (n.else_) {
      eval(*n.else_, v, ctx);
    }
  }
}

// -- json_schema --------------------------------------------------------------

/// The state of the default schema `true`, built once and shared.
std::shared_ptr<const json_schema_state> accept_all() {
  static const auto instance = [] {
    auto st = std::make_shared<json_schema_state>();
    st->document = true;
    auto& n = st->nodes.emplace_back();
    n.is_bool = true;
    st->root = &n;
    return std::shared_ptr<const json_schema_state>{ std::move(st) };
  }();
  return instance;
}

} // namespace

json_schema::json_schema()
  : state_(accept_all()) {}

json_schema::json_schema(std::shared_ptr<const json_schema_state> st)
  : state_(std::move(st)) {}

std::variant<json_schema, std::string> json_schema::compile(
  const nlohmann::json& schema) {
  try {
    auto st = std::make_shared<json_schema_state>();
    st->document = schema;
    compiler c{ *st };
    if (auto error = c.run(); !error.empty()) return error;
    return json_schema{ std::move(st) };
  } catch (const std::exception& e) {
    return std::string{ "/: cannot compile schema: " } + e.what();
  } catch (...) {
    return std::string{ "/: cannot compile schema" };
  }
}

std::vector<std::string> json_schema::validate(
  const nlohmann::json& instance) const {
  try {
    std::vector<violation> found;
    context ctx{ &found, max_violations, {} };
    eval(*state_->root, instance, ctx);
    std::vector<std::string> result;
    result.reserve(found.size());
    for (auto& v : found)
      result.push_back(v.path + ": " + v.message);
    return result;
  } catch (const std::exception& e) {
    return { std::string{ "/: cannot validate: " } + e.what() };
  } catch (...) {
    return { "/: cannot validate" };
  }
}

bool json_schema::accepts(const nlohmann::json& instance) const {
  try {
    std::vector<violation> found;
    context ctx{ &found, 1, {} };
    eval(*state_->root, instance, ctx);
    return found.empty();
  } catch (...) {
    return false;
  }
}

} // namespace sophia::runtime::json
