#pragma once

#include <caf/atom.hpp>

/// Message tags of the pipeline's actors (CAF 0.17 atoms: 10 chars at most).
namespace sophia::actors::pipeline::atoms {

using ingest = caf::atom_constant<caf::atom("plingest")>;
using query = caf::atom_constant<caf::atom("plquery")>;
using status = caf::atom_constant<caf::atom("plstatus")>;
using tail = caf::atom_constant<caf::atom("pltail")>;
/// `(check|discover|sync, source)`: an Airbyte source's command.
using check = caf::atom_constant<caf::atom("plcheck")>;
using discover = caf::atom_constant<caf::atom("pldiscover")>;
using sync = caf::atom_constant<caf::atom("plsync")>;
/// `(replay, catalog, source, limit)`: the source's waiting dead letters
/// taken again.
using replay = caf::atom_constant<caf::atom("plreplay")>;
/// `(analytics, period, since, group_by)` -> the tool-call aggregates.
using analytics = caf::atom_constant<caf::atom("planalytic")>;

} // namespace sophia::actors::pipeline::atoms
