#pragma once

#include <caf/atom.hpp>

/// Message tags of the pipeline's actors (CAF 0.17 atoms: 10 chars at most).
namespace sophia::actors::pipeline::atoms {

using ingest = caf::atom_constant<caf::atom("plingest")>;
using query = caf::atom_constant<caf::atom("plquery")>;
using status = caf::atom_constant<caf::atom("plstatus")>;
using tail = caf::atom_constant<caf::atom("pltail")>;

} // namespace sophia::actors::pipeline::atoms
