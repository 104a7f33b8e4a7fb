#pragma once

#include <caf/atom.hpp>

/// Message tags of Sophia's runtime actors (CAF 0.17 atoms: at most 10 chars).
/// CAF's own `get_atom`, `put_atom`, `delete_atom`, `connect_atom` and
/// `ok_atom` are used where they fit.
namespace sophia::runtime::atoms {

using hello = caf::atom_constant<caf::atom("hello")>;
using heartbeat = caf::atom_constant<caf::atom("heartbeat")>;
using leave = caf::atom_constant<caf::atom("leave")>;
using status = caf::atom_constant<caf::atom("status")>;
using reload = caf::atom_constant<caf::atom("reload")>;
using subscribe = caf::atom_constant<caf::atom("subscribe")>;
using member = caf::atom_constant<caf::atom("member")>;
using registry = caf::atom_constant<caf::atom("registry")>;
using reg_sync = caf::atom_constant<caf::atom("regsync")>;
using call = caf::atom_constant<caf::atom("call")>;
using tick = caf::atom_constant<caf::atom("tick")>;
using all = caf::atom_constant<caf::atom("all")>;
using sweep = caf::atom_constant<caf::atom("sweep")>;

} // namespace sophia::runtime::atoms
