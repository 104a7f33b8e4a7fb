#pragma once

#include <string>

#include <caf/fwd.hpp>

/// A rebuild's reader: reads the pipeline's tables back from PostgreSQL
/// for the vectors stage, so that a restarted node finds what was ingested
/// before. Runs detached (libpq blocks) and sends the stage one page at a
/// time, waiting for each to be indexed before reading the next (memory:
/// one page), then `(rebuilt, error)` and quits.
///
/// Tables: those whose comment ends in "written by the Sophia pipeline"
/// (tmp tables of refreshes in progress left out), their stream from the
/// comment, key, cursor, mode and source from
/// `sophia_pipeline.vector_streams` (a table missing there is read as
/// append). Rows are read by keyset on `_airbyte_raw_id`, `page_rows` at
/// a time, so that no transaction stays open; rows with
/// `_ab_cdc_deleted_at` set are skipped.
namespace sophia::actors::pipeline::vectors {

caf::actor spawn_loader(caf::actor_system& sys, std::string postgres,
                        caf::actor stage, size_t page_rows = 1000);

} // namespace sophia::actors::pipeline::vectors
