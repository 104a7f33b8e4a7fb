#pragma once

#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

namespace sophia::actors::optimizer {

/// A number of a `pipeline.query` row: JSON numbers as they are, and
/// PostgreSQL's numeric and bigint, which arrive as text; else `fallback`.
inline double number_of(const nlohmann::json& v, double fallback = 0) {
  if (v.is_number())
    return v.get<double>();
  if (v.is_string()) {
    char* end = nullptr;
    auto& s = v.get_ref<const std::string&>();
    auto x = std::strtod(s.c_str(), &end);
    if (end != s.c_str())
      return x;
  }
  return fallback;
}

} // namespace sophia::actors::optimizer
