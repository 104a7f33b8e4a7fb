#include "actors/pipeline/postgres/connection.hpp"

#include <algorithm>

#include <libpq-fe.h>

// The header declares libpq's own struct tags (PGconn is `struct
// pg_conn`), so that it need not include libpq-fe.h.

namespace sophia::actors::pipeline::postgres {

namespace {

PGconn* raw(pg_conn* c) {
  return c;
}

PGresult* raw(pg_result* r) {
  return r;
}

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

// PostgreSQL's message, its detail, and the connection's state if lost.
std::string error_of(PGconn* c, PGresult* r) {
  std::string msg = trimmed(r ? PQresultErrorMessage(r) : nullptr);
  if (msg.empty())
    msg = trimmed(PQerrorMessage(c));
  if (msg.empty())
    msg = "PostgreSQL gave no reason";
  return msg;
}

} // namespace

result::result(pg_result* r) : res_(r) {}

result::~result() {
  if (res_)
    PQclear(raw(res_));
}

result::result(result&& other) noexcept : res_(other.res_) {
  other.res_ = nullptr;
}

result& result::operator=(result&& other) noexcept {
  std::swap(res_, other.res_);
  return *this;
}

int result::rows() const {
  return PQntuples(raw(res_));
}

int result::columns() const {
  return PQnfields(raw(res_));
}

std::optional<std::string_view> result::get(int row, int column) const {
  if (PQgetisnull(raw(res_), row, column))
    return std::nullopt;
  return std::string_view{PQgetvalue(raw(res_), row, column),
                          static_cast<size_t>(
                            PQgetlength(raw(res_), row, column))};
}

std::string result::text(int row, int column) const {
  auto v = get(row, column);
  return v ? std::string{*v} : std::string{};
}

std::string result::column_name(int column) const {
  return PQfname(raw(res_), column);
}

std::string result::column_type(int column) const {
  return std::to_string(PQftype(raw(res_), column));
}

connection::connection(pg_conn* c) : conn_(c) {}

connection::connection(connection&& other) noexcept : conn_(other.conn_) {
  other.conn_ = nullptr;
}

connection& connection::operator=(connection&& other) noexcept {
  std::swap(conn_, other.conn_);
  return *this;
}

connection::~connection() {
  if (conn_)
    PQfinish(raw(conn_));
}

std::variant<connection, std::string>
connection::open(const std::string& uri) {
  auto* c = PQconnectdb(uri.c_str());
  if (!c)
    return std::string{"out of memory connecting to PostgreSQL"};
  if (PQstatus(c) != CONNECTION_OK) {
    auto msg = trimmed(PQerrorMessage(c));
    PQfinish(c);
    return "cannot connect to PostgreSQL: " + msg;
  }
  connection out{c};
  if (auto err = out.exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; "
                          "SET client_encoding = 'UTF8'; "
                          "SET client_min_messages = 'warning'"))
    return *err;
  return out;
}

std::optional<std::string> connection::exec(const std::string& sql) {
  auto* r = PQexec(raw(conn_), sql.c_str());
  auto status = PQresultStatus(r);
  std::optional<std::string> err;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    err = error_of(raw(conn_), r);
  PQclear(r);
  return err;
}

std::variant<result, std::string>
connection::query(const std::string& sql,
                  const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (auto& p : params)
    values.push_back(p ? p->c_str() : nullptr);
  auto* r = PQexecParams(raw(conn_), sql.c_str(),
                         static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0);
  auto status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    auto err = error_of(raw(conn_), r);
    PQclear(r);
    return err;
  }
  return result{r};
}

std::optional<std::string> connection::copy_in(const std::string& copy_sql,
                                               std::string_view data) {
  constexpr size_t piece = 64 * 1024;
  size_t at = 0;
  return copy_in(copy_sql, [&]() -> std::optional<std::string_view> {
    if (at >= data.size())
      return std::nullopt;
    auto n = std::min(piece, data.size() - at);
    at += n;
    return data.substr(at - n, n);
  });
}

std::optional<std::string> connection::copy_in(
  const std::string& copy_sql,
  const std::function<std::optional<std::string_view>()>& next) {
  auto* c = raw(conn_);
  auto* r = PQexec(c, copy_sql.c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) {
    auto err = error_of(c, r);
    PQclear(r);
    return err;
  }
  PQclear(r);
  std::optional<std::string> err;
  while (!err)
    if (auto piece = next(); !piece)
      break;
    else if (!piece->empty()
             && PQputCopyData(c, piece->data(), static_cast<int>(piece->size())) != 1)
      err = error_of(c, nullptr);
  if (PQputCopyEnd(c, err ? err->c_str() : nullptr) != 1 && !err)
    err = error_of(c, nullptr);
  // The COPY's own result, then the end of the command.
  while (auto* res = PQgetResult(c)) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK && !err)
      err = error_of(c, res);
    PQclear(res);
  }
  return err;
}

bool connection::alive() const {
  return conn_ && PQstatus(raw(conn_)) == CONNECTION_OK;
}

std::variant<connection*, std::string>
reconnect(std::unique_ptr<connection>& held, const std::string& uri) {
  if (held && held->alive())
    return held.get();
  auto c = connection::open(uri);
  if (auto* err = std::get_if<std::string>(&c))
    return std::move(*err);
  held = std::make_unique<connection>(std::move(std::get<connection>(c)));
  return held.get();
}

std::string literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += '\'';
    if (c != '\0')
      out += c;
  }
  out += '\'';
  return out;
}

} // namespace sophia::actors::pipeline::postgres
