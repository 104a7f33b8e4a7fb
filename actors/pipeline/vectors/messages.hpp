#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/pipeline/vectors/record.hpp"

/// The vectors stage's messages. Batches go by shared pointer, within
/// this node only (the stage is local to its worker): never serialised.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::actors::pipeline::vectors::vector_batch_ptr)

namespace sophia::actors::pipeline::vectors::atoms {

/// `(batch, vector_batch_ptr)`: committed records, from the worker.
using batch = caf::atom_constant<caf::atom("vbatch")>;
/// `(page, vector_batch_ptr)` -> `(ok)`: rows a rebuild read.
using page = caf::atom_constant<caf::atom("vpage")>;
/// `(rebuilt, error_text)`: a rebuild ended (empty: complete).
using rebuilt = caf::atom_constant<caf::atom("vrebuilt")>;
/// `(rebuild)`: start a rebuild when idle.
using rebuild = caf::atom_constant<caf::atom("vrebuild")>;
/// `(retry)`: embed the records whose embedding failed again.
using retry = caf::atom_constant<caf::atom("vretry")>;
/// `(search, query, k, stream)` -> JSON text `{results: [...]}`.
using search = caf::atom_constant<caf::atom("vsearch")>;

} // namespace sophia::actors::pipeline::vectors::atoms
