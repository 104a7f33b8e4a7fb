// JSON Schema: the input is a schema and an instance, split at the first
// newline. Compiling never throws; for a schema that compiles, `accepts`
// and `validate` must agree, and every violation names a JSON pointer.
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/json/json_schema.hpp"
#include "tests/fuzz/fuzz_target.hpp"

using sophia::runtime::json::json_schema;

SOPHIA_FUZZ_TARGET(json_schema) {
  std::string_view text{ reinterpret_cast<const char*>(data), size };
  auto nl = text.find('\n');
  if (nl == std::string_view::npos) return 0;
  auto schema = nlohmann::json::parse(text.substr(0, nl), nullptr, false);
  auto instance = nlohmann::json::parse(text.substr(nl + 1), nullptr, false);
  if (schema.is_discarded() || instance.is_discarded()) return 0;
  auto compiled = json_schema::compile(schema);
  auto* s = std::get_if<json_schema>(&compiled);
  if (s == nullptr) {
    SOPHIA_FUZZ_CHECK(!std::get<std::string>(compiled).empty());
    return 0;
  }
  auto errors = s->validate(instance);
  SOPHIA_FUZZ_CHECK(s->accepts(instance) == errors.empty());
  SOPHIA_FUZZ_CHECK(errors.size() <= json_schema::max_violations);
  for (auto& e : errors)
    SOPHIA_FUZZ_CHECK(!e.empty() && e.front() == '/');
  return 0;
}
