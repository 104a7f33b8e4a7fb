#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct pg_conn;
struct pg_result;

/// One PostgreSQL connection over libpq, for the pipeline's writer.
///
/// Why libpq and not libpqxx here: Debian 12's libpqxx 6.4 `stream_to`
/// takes a COPY row only as a tuple it escapes field by field and sends
/// line by line (its raw-line writer is private); the writer builds COPY
/// text in place and hands it to libpq a piece at a time, as it is made.
/// Never throws: errors are PostgreSQL's message (and detail), as text.
namespace sophia::actors::pipeline::postgres {

/// A query's rows, as text (NULL: none).
class result {
public:
  explicit result(pg_result* r);
  ~result();
  result(result&&) noexcept;
  result& operator=(result&&) noexcept;

  int rows() const;
  int columns() const;
  std::optional<std::string_view> get(int row, int column) const;
  /// `get`, NULL as "".
  std::string text(int row, int column) const;
  /// A column's name, and its type's oid (as text).
  std::string column_name(int column) const;
  std::string column_type(int column) const;

private:
  pg_result* res_;
};

class connection {
public:
  /// Connects with a libpq connection string or `postgresql://` URI,
  /// setting the session to UTC and ISO dates.
  static std::variant<connection, std::string> open(const std::string& uri);

  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  ~connection();

  /// Runs `sql` (one or more statements, no parameters).
  std::optional<std::string> exec(const std::string& sql);

  /// Runs one statement with text parameters ($1, $2, ...; none: NULL).
  std::variant<result, std::string>
  query(const std::string& sql,
        const std::vector<std::optional<std::string>>& params = {});

  /// Runs `copy_sql` (a `COPY ... FROM STDIN`) and sends `data`, COPY text
  /// rows, in 64 KB pieces.
  std::optional<std::string> copy_in(const std::string& copy_sql,
                                     std::string_view data);

  /// Runs `copy_sql` and sends the COPY text `next` makes, a piece at a
  /// time, until it returns none (a piece stays valid until the next
  /// call). The server parses and stores one piece while the next is
  /// made, instead of waiting for the whole batch.
  std::optional<std::string> copy_in(
    const std::string& copy_sql,
    const std::function<std::optional<std::string_view>()>& next);

  /// Whether the connection still works (false after the server went).
  bool alive() const;

private:
  explicit connection(pg_conn* c);
  pg_conn* conn_;
};

/// `held` while it still works, else a new connection to `uri` put in
/// `held` (an actor's long-lived connection, opened again after the
/// server went); the error text when none opens.
std::variant<connection*, std::string>
reconnect(std::unique_ptr<connection>& held, const std::string& uri);

/// `text` as an SQL string literal ('...', quotes doubled).
std::string literal(std::string_view text);

} // namespace sophia::actors::pipeline::postgres
