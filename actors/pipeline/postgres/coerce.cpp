#include "actors/pipeline/postgres/coerce.hpp"

#include <array>
#include <cmath>
#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/pipeline/postgres/copy_text.hpp"
#include "actors/pipeline/postgres/temporal.hpp"

namespace sophia::actors::pipeline::postgres {

using nlohmann::json;

namespace {

bool digit(char c) {
  return c >= '0' && c <= '9';
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] - 'A' + 'a' : a[i];
    if (x != b[i])
      return false;
  }
  return true;
}

// [+-]digits, within bigint's range.
bool is_bigint_text(std::string_view s) {
  size_t i = s.empty() || (s[0] != '+' && s[0] != '-') ? 0 : 1;
  if (i == s.size() || s.size() - i > 19)
    return false;
  for (size_t k = i; k < s.size(); ++k)
    if (!digit(s[k]))
      return false;
  if (s.size() - i < 19)
    return true;
  auto body = s.substr(i);
  return body <= (s[0] == '-' ? "9223372036854775808" : "9223372036854775807");
}

// A decimal number PostgreSQL's numeric reads: [+-]digits[.digits][e[+-]d],
// at least one digit, an exponent numeric can represent.
bool is_numeric_text(std::string_view s) {
  static constexpr std::array specials{"nan", "infinity", "+infinity",
                                       "-infinity", "inf", "+inf", "-inf"};
  for (auto sp : specials)
    if (iequals(s, sp))
      return true;
  size_t i = 0, n = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-'))
    ++i;
  while (i < s.size() && digit(s[i]))
    ++i, ++n;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && digit(s[i]))
      ++i, ++n;
  }
  if (n == 0)
    return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      ++i;
    size_t start = i;
    while (i < s.size() && digit(s[i]))
      ++i;
    // numeric holds 131072 digits before the point and 16383 after.
    if (i == start || i - start > 4)
      return false;
  }
  return i == s.size();
}

bool is_bool_text(std::string_view s, bool& out) {
  static constexpr std::array yes{"true", "t", "yes", "on", "1"};
  static constexpr std::array no{"false", "f", "no", "off", "0"};
  for (auto y : yes)
    if (iequals(s, y))
      return out = true, true;
  for (auto n : no)
    if (iequals(s, n))
      return out = false, true;
  return false;
}

cell write_string_like(std::string& out, std::string_view s) {
  copy_text::append_escaped(out, s);
  return cell::value;
}

} // namespace

cell append_cell(std::string& out, column_kind k, const json* v) {
  if (!v || (v->is_null() && k != column_kind::unknown)) {
    copy_text::append_null(out);
    return cell::null;
  }
  auto fits = [&]() -> bool {
    switch (k) {
      case column_kind::string:
        if (v->is_string())
          copy_text::append_escaped(out, v->get_ref<const std::string&>());
        else
          copy_text::append_jsonb_text(out, *v);
        return true;
      case column_kind::integer:
        // nlohmann's is_number_integer() is true for unsigned ones too.
        if (v->is_number_unsigned() ? v->get<uint64_t>() <= uint64_t{INT64_MAX}
                                    : v->is_number_integer()) {
          copy_text::append_number(out, *v);
          return true;
        }
        if (v->is_number_float()) {
          double d = v->get<double>();
          // 2^63 is exactly representable; everything below it fits.
          if (std::trunc(d) != d || d < -9223372036854775808.0
              || d >= 9223372036854775808.0)
            return false;
          copy_text::append_number(out, json(static_cast<int64_t>(d)));
          return true;
        }
        if (v->is_string()) {
          auto& s = v->get_ref<const std::string&>();
          return is_bigint_text(s) && write_string_like(out, s) == cell::value;
        }
        return false;
      case column_kind::number:
        if (v->is_number()) {
          copy_text::append_number(out, *v);
          return true;
        }
        if (v->is_string()) {
          auto& s = v->get_ref<const std::string&>();
          return is_numeric_text(s) && write_string_like(out, s) == cell::value;
        }
        return false;
      case column_kind::boolean: {
        bool b = false;
        if (v->is_boolean())
          b = v->get<bool>();
        else if (!v->is_string()
                 || !is_bool_text(v->get_ref<const std::string&>(), b))
          return false;
        out += b ? 't' : 'f';
        return true;
      }
      case column_kind::date:
      case column_kind::time:
      case column_kind::time_tz:
      case column_kind::timestamp:
      case column_kind::timestamp_tz: {
        if (!v->is_string())
          return false;
        auto& s = v->get_ref<const std::string&>();
        bool ok = k == column_kind::date       ? temporal::is_date(s)
                  : k == column_kind::time    ? temporal::is_time(s, false)
                  : k == column_kind::time_tz ? temporal::is_time(s, true)
                  : temporal::is_timestamp(s, k == column_kind::timestamp_tz);
        return ok && write_string_like(out, s) == cell::value;
      }
      case column_kind::object:
        if (!v->is_object())
          return false;
        copy_text::append_json(out, *v);
        return true;
      case column_kind::array:
        if (!v->is_array())
          return false;
        copy_text::append_json(out, *v);
        return true;
      case column_kind::unknown:
        copy_text::append_json(out, *v);
        return true;
    }
    return false;
  };
  if (fits())
    return cell::value;
  copy_text::append_null(out);
  return cell::mismatch;
}

} // namespace sophia::actors::pipeline::postgres
