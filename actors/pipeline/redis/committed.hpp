#pragma once

#include <vector>

#include "actors/pipeline/redis/table_batch.hpp"

namespace sophia::actors::pipeline::postgres {
class writer;
struct batch;
} // namespace sophia::actors::pipeline::postgres

/// What PostgreSQL committed, as the Redis stage takes it.
namespace sophia::actors::pipeline::redis {

/// `b`'s records per table of `w` (in arrival order within each), with
/// the table's key (dedup tables) and cursor; records of streams `w` has
/// no table for are left out.
std::vector<table_batch> committed_tables(const postgres::writer& w,
                                          const postgres::batch& b);

} // namespace sophia::actors::pipeline::redis
