#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline/airbyte/catalog.hpp"
#include "actors/pipeline/airbyte/message.hpp"
#include "actors/pipeline/postgres/bookkeeping.hpp"

/// Airbyte records into PostgreSQL, with the semantics of Airbyte's
/// Postgres destination (its final tables): one table per stream, typed
/// columns, `append` / `append_dedup` / truncate refreshes by generation,
/// each batch one transaction with the STATE that follows it.
namespace sophia::actors::pipeline::postgres {

class connection;
class stream_table;
class row_writer;

/// What one transaction commits: the records (in arrival order), the
/// streams that ended, the STATE that closes the batch (acknowledged
/// only once this commits), and the lines that could not be read.
struct batch {
  std::vector<airbyte::record> records;
  std::vector<airbyte::stream_status> statuses;
  std::optional<airbyte::state> state;
  std::vector<dead_letter> dead_letters;
  /// Dead letters (their ids) whose lines this batch takes back: marked
  /// replayed in its transaction, so a replayed line is in its table or
  /// still waiting, never both and never twice.
  std::vector<int64_t> replayed;
  size_t bytes = 0;

  bool empty() const {
    return records.empty() && statuses.empty() && !state
           && dead_letters.empty() && replayed.empty();
  }
};

/// What a commit did.
struct commit_stats {
  size_t rows = 0;
  /// Fields typing NULLED (DESTINATION_TYPECAST_ERROR).
  size_t nulled = 0;
  /// Streams whose tmp table replaced the table (truncate refreshes).
  size_t swapped = 0;
};

struct writer_options {
  /// libpq connection string or `postgresql://` URI.
  std::string uri;
  /// Where streams without a namespace go (`[pipeline] default_schema`).
  std::string default_schema = "public";
  /// Whose STATE the commits store (a source's name).
  std::string source = "ingest";
};

class writer {
public:
  explicit writer(writer_options opts);
  ~writer();
  writer(writer&&) noexcept;

  /// Starts a sync: connects (again, if the server went away), creates
  /// the bookkeeping tables, and prepares each stream's table.
  std::optional<std::string> begin(const airbyte::configured_catalog& cat);

  /// Commits `b` in one transaction, or nothing of it: on failure the
  /// error, and the next commit starts again from the database's state
  /// (reconnecting and re-reading the tables).
  std::variant<commit_stats, std::string> commit(const batch& b);

  /// The state the source's next `read` gets (see bookkeeping).
  std::variant<nlohmann::json, std::string> committed_state();

  /// The table of stream `id` (begin() first), or null.
  const stream_table* table_of(const airbyte::stream_id& id) const;

  /// A connection of this writer, for queries (begin() first).
  connection* db();

private:
  std::optional<std::string> connect();
  std::optional<std::string> prepare_streams();
  std::optional<std::string> write_stream(stream_table& t,
                                          const std::vector<size_t>& idx,
                                          const batch& b, commit_stats& st);

  writer_options opts_;
  std::unique_ptr<connection> db_;
  std::unique_ptr<row_writer> rows_;
  airbyte::configured_catalog catalog_;
  std::map<airbyte::stream_id, std::unique_ptr<stream_table>> tables_;
  /// Staging tables of dedup streams: name and the layout they follow.
  std::map<airbyte::stream_id, std::pair<std::string, uint64_t>> stages_;
  std::string buffer_;
  bool stale_ = true;
};

} // namespace sophia::actors::pipeline::postgres
