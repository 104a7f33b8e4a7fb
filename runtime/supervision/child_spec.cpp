#include "runtime/supervision/child_spec.hpp"

#include "runtime/error.hpp"

namespace sophia::runtime::supervision {

caf::error validate(const child_spec& spec) {
  if (spec.id.empty())
    return make_error(errc::rejected, "a child spec needs an id");
  if (!spec.start)
    return make_error(errc::rejected,
                      "child '" + spec.id + "' has no start function");
  if (spec.shutdown && spec.shutdown->after.count() < 0)
    return make_error(errc::rejected,
                      "child '" + spec.id +
                        "' has a negative shutdown timeout");
  return {};
}

shutdown_spec effective_shutdown(const child_spec& spec) {
  if (spec.shutdown) return *spec.shutdown;
  // A supervisor needs as long as its own children take to stop: a timeout
  // would kill it halfway and leave its children to the one-way link.
  if (spec.kind == child_kind::supervisor) return shutdown_spec::infinity();
  return shutdown_spec::timeout(std::chrono::milliseconds{ 5000 });
}

const char* to_string(restart_type x) {
  switch (x) {
    case restart_type::permanent: return "permanent";
    case restart_type::transient: return "transient";
    case restart_type::temporary: return "temporary";
  }
  return "unknown";
}

const char* to_string(child_kind x) {
  switch (x) {
    case child_kind::worker: return "worker";
    case child_kind::supervisor: return "supervisor";
  }
  return "unknown";
}

const char* to_string(strategy x) {
  switch (x) {
    case strategy::one_for_one: return "one_for_one";
    case strategy::one_for_all: return "one_for_all";
    case strategy::rest_for_one: return "rest_for_one";
    case strategy::simple_one_for_one: return "simple_one_for_one";
  }
  return "unknown";
}

} // namespace sophia::runtime::supervision
