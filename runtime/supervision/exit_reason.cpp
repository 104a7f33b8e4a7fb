#include "runtime/supervision/exit_reason.hpp"

#include <string>

#include <caf/exit_reason.hpp>
#include <caf/message.hpp>

#include "runtime/error.hpp"

namespace sophia::runtime::supervision {

namespace {

constexpr const char* max_intensity_text = "reached max restart intensity";

} // namespace

bool is_normal_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal ||
         reason == caf::exit_reason::user_shutdown ||
         code_of(reason) == errc::shutdown;
}

bool should_restart(restart_type type, const caf::error& reason) {
  switch (type) {
    case restart_type::permanent: return true;
    case restart_type::transient: return !is_normal_exit(reason);
    case restart_type::temporary: return false;
  }
  return false;
}

caf::error escalation_reason() {
  return make_error(errc::shutdown, max_intensity_text);
}

bool is_escalation(const caf::error& reason) {
  if (code_of(reason) != errc::shutdown) return false;
  auto& ctx = reason.context();
  return ctx.match_elements<std::string>() &&
         ctx.get_as<std::string>(0) == max_intensity_text;
}

} // namespace sophia::runtime::supervision
