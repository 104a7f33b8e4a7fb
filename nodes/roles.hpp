#pragma once

#include <string>

#include "runtime/supervision/child_spec.hpp"

namespace sophia::nodes {

/// The child spec of role `role`'s supervisor on this node: what runs when
/// the placement actor places the role here. This is the composition root's
/// list of each role's actors; the domain actors of later releases are added
/// here, beside the role's endpoint.
runtime::supervision::child_spec role_supervisor(const std::string& role,
                                                 const std::string& node,
                                                 caf::actor registry);

} // namespace sophia::nodes
