#include "runtime/error.hpp"

#include <caf/atom.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

namespace sophia::runtime {

const char* to_string(errc code) {
  switch (code) {
    case errc::none: return "none";
    case errc::deadline_exceeded: return "deadline_exceeded";
    case errc::node_down: return "node_down";
    case errc::not_found: return "not_found";
    case errc::decode_failed: return "decode_failed";
    case errc::rejected: return "rejected";
    case errc::unreachable: return "unreachable";
    case errc::bad_config: return "bad_config";
    case errc::call_failed: return "call_failed";
    case errc::shutdown: return "shutdown";
    case errc::start_failed: return "start_failed";
    case errc::child_running: return "child_running";
    case errc::child_exists: return "child_exists";
    case errc::unavailable: return "unavailable";
    case errc::cancelled: return "cancelled";
    case errc::service_error: return "service_error";
  }
  return "unknown";
}

caf::atom_value error_category() {
  return caf::atom("sophia");
}

caf::error make_error(errc code, std::string detail) {
  if (detail.empty())
    return caf::error{ static_cast<uint8_t>(code), error_category() };
  return caf::error{ static_cast<uint8_t>(code),
                     error_category(),
                     caf::make_message(std::move(detail)) };
}

std::string detail_of(const caf::error& err) {
  auto& ctx = err.context();
  if (ctx.match_elements<std::string>()) return ctx.get_as<std::string>(0);
  if (!err) return {};
  if (err.category() == caf::atom("system"))
    return caf::to_string(static_cast<caf::sec>(err.code()));
  return caf::to_string(err);
}

errc code_of(const caf::error& err) {
  if (!err || err.category() != error_category()) return errc::none;
  return static_cast<errc>(err.code());
}

} // namespace sophia::runtime
