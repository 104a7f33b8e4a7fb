#include "actors/pipeline/redis/connection.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace sophia::actors::pipeline::redis {

namespace {

using std::chrono::milliseconds;

timeval to_timeval(milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

reply copy(const redisReply* r) {
  reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = reply::kind::string;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = reply::kind::error;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(copy(r->element[i]));
      break;
    default: // REDIS_REPLY_NIL
      break;
  }
  return out;
}

// Takes (and frees) a reply hiredis allocated.
reply take(void* raw) {
  auto out = copy(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return out;
}

// hiredis wants argv as two C arrays; most commands have a handful of
// arguments, which then need no allocation.
class c_argv {
public:
  explicit c_argv(std::span<const std::string_view> argv) {
    if (argv.size() > small_.size()) {
      big_ptrs_.resize(argv.size());
      big_lens_.resize(argv.size());
    }
    auto* ptrs = argv.size() > small_.size() ? big_ptrs_.data() : small_.data();
    auto* lens = argv.size() > small_.size() ? big_lens_.data()
                                             : small_lens_.data();
    for (size_t i = 0; i < argv.size(); ++i) {
      ptrs[i] = argv[i].data();
      lens[i] = argv[i].size();
    }
    ptrs_ = ptrs;
    lens_ = lens;
    argc_ = static_cast<int>(argv.size());
  }

  int argc() const { return argc_; }
  const char** ptrs() { return ptrs_; }
  const size_t* lens() const { return lens_; }

private:
  std::array<const char*, 16> small_;
  std::array<size_t, 16> small_lens_;
  std::vector<const char*> big_ptrs_;
  std::vector<size_t> big_lens_;
  const char** ptrs_ = nullptr;
  const size_t* lens_ = nullptr;
  int argc_ = 0;
};

// One command on a fresh context, before it is handed out (AUTH,
// SELECT): the error reply's text, or the I/O error's.
std::optional<std::string> setup_command(redisContext* c,
                                         std::span<const std::string_view> argv) {
  c_argv args{argv};
  auto* raw = redisCommandArgv(c, args.argc(), args.ptrs(), args.lens());
  if (!raw)
    return std::string{c->errstr};
  auto r = take(raw);
  if (r.is(reply::kind::error))
    return r.text;
  return std::nullopt;
}

} // namespace

connection::connection(connection_options opts, endpoint where)
  : opts_(std::move(opts)), where_(std::move(where)) {}

connection::connection(connection&& other) noexcept
  : opts_(std::move(other.opts_)),
    where_(std::move(other.where_)),
    ctx_(std::exchange(other.ctx_, nullptr)),
    pending_(std::exchange(other.pending_, 0)),
    in_flight_(std::exchange(other.in_flight_, 0)),
    append_error_(std::move(other.append_error_)) {}

connection& connection::operator=(connection&& other) noexcept {
  std::swap(opts_, other.opts_);
  std::swap(where_, other.where_);
  std::swap(ctx_, other.ctx_);
  std::swap(pending_, other.pending_);
  std::swap(in_flight_, other.in_flight_);
  std::swap(append_error_, other.append_error_);
  return *this;
}

connection::~connection() {
  if (ctx_)
    redisFree(ctx_);
}

std::variant<connection, std::string>
connection::open(connection_options opts) {
  auto where = parse_endpoint(opts.uri);
  if (auto* err = std::get_if<std::string>(&where))
    return *err;
  connection out{std::move(opts), std::get<endpoint>(std::move(where))};
  if (auto err = out.ensure())
    return *err;
  return out;
}

std::string connection::error(const std::string& what) const {
  return "redis " + where_.text() + ": " + what;
}

std::string connection::io_error(milliseconds waited) {
  std::string why = ctx_ ? ctx_->errstr : "no connection";
  bool timed_out = ctx_ && ctx_->err == REDIS_ERR_IO
                   && (why == std::strerror(EAGAIN)
                       || why == std::strerror(EWOULDBLOCK));
  drop();
  if (timed_out)
    return error("no reply within " + std::to_string(waited.count())
                 + " ms (timed out; reconnecting on the next call)");
  return error("connection lost: " + why);
}

void connection::drop() {
  if (ctx_)
    redisFree(ctx_);
  ctx_ = nullptr;
  pending_ = 0;
  in_flight_ = 0;
}

std::optional<std::string> connection::busy() const {
  if (pending_ == 0 && in_flight_ == 0)
    return std::nullopt;
  return error("a command while a pipeline is under way ("
               + std::to_string(pending_) + " queued, "
               + std::to_string(in_flight_) + " in flight)");
}

std::optional<std::string> connection::ensure() {
  if (ctx_ && ctx_->err == 0)
    return std::nullopt;
  drop();
  auto connect_tv = to_timeval(opts_.connect_timeout);
  // hiredis reads a zero timeout as "give up at once", not "none".
  bool bounded = opts_.connect_timeout.count() > 0;
  redisContext* c = nullptr;
  if (!where_.socket.empty())
    c = bounded ? redisConnectUnixWithTimeout(where_.socket.c_str(),
                                              connect_tv)
                : redisConnectUnix(where_.socket.c_str());
  else
    c = bounded ? redisConnectWithTimeout(where_.host.c_str(), where_.port,
                                          connect_tv)
                : redisConnect(where_.host.c_str(), where_.port);
  if (!c)
    return error("cannot connect: out of memory");
  if (c->err) {
    auto msg = error("cannot connect: " + std::string{c->errstr});
    redisFree(c);
    return msg;
  }
  // Logging in is part of connecting: same timeout.
  redisSetTimeout(c, connect_tv);
  if (where_.socket.empty())
    redisEnableKeepAlive(c); // notices a peer that vanished without FIN
  auto fail = [&](const std::string& what) {
    redisFree(c);
    return std::optional<std::string>{error(what)};
  };
  if (!where_.password.empty()) {
    std::optional<std::string> err;
    if (where_.user.empty())
      err = setup_command(c, std::array<std::string_view, 2>{
                               "AUTH", where_.password});
    else
      err = setup_command(c, std::array<std::string_view, 3>{
                               "AUTH", where_.user, where_.password});
    if (err)
      return fail("AUTH: " + *err);
  }
  if (where_.db != 0) {
    auto db = std::to_string(where_.db);
    if (auto err = setup_command(c, std::array<std::string_view, 2>{
                                      "SELECT", db}))
      return fail("SELECT " + db + ": " + *err);
  }
  redisSetTimeout(c, to_timeval(opts_.command_timeout));
  ctx_ = c;
  return std::nullopt;
}

std::optional<std::string> connection::reconnect() {
  drop();
  append_error_.reset();
  return ensure();
}

command_result connection::run(std::span<const std::string_view> argv,
                               milliseconds waited) {
  if (argv.empty())
    return error("empty command");
  c_argv args{argv};
  auto* raw = redisCommandArgv(ctx_, args.argc(), args.ptrs(), args.lens());
  if (!raw)
    return io_error(waited);
  auto r = take(raw);
  if (r.is(reply::kind::error))
    return error(std::string{argv[0]} + ": " + r.text);
  return r;
}

command_result connection::command(std::span<const std::string_view> argv) {
  if (auto err = busy())
    return *err;
  if (auto err = ensure())
    return *err;
  return run(argv, opts_.command_timeout);
}

command_result
connection::command(std::initializer_list<std::string_view> argv) {
  return command(std::span<const std::string_view>{argv.begin(), argv.size()});
}

command_result
connection::command_waiting(std::span<const std::string_view> argv,
                            milliseconds wait) {
  if (auto err = busy())
    return *err;
  if (auto err = ensure())
    return *err;
  auto total = wait.count() > 0 ? wait + opts_.command_timeout
                                : milliseconds{0};
  redisSetTimeout(ctx_, to_timeval(total));
  auto out = run(argv, total);
  if (ctx_)
    redisSetTimeout(ctx_, to_timeval(opts_.command_timeout));
  return out;
}

void connection::append(std::span<const std::string_view> argv) {
  // Only a fresh pipeline may (re)connect: commands already queued or in
  // flight belong to the current context.
  if (pending_ == 0 && in_flight_ == 0 && !append_error_)
    if (auto err = ensure())
      append_error_ = std::move(err);
  ++pending_;
  if (append_error_)
    return;
  c_argv args{argv};
  if (redisAppendCommandArgv(ctx_, args.argc(), args.ptrs(), args.lens())
      != REDIS_OK)
    append_error_ = error("cannot queue " + std::string{argv[0]} + ": "
                          + ctx_->errstr);
}

void connection::append(std::initializer_list<std::string_view> argv) {
  append(std::span<const std::string_view>{argv.begin(), argv.size()});
}

std::optional<std::string> connection::send() {
  auto n = std::exchange(pending_, 0);
  if (append_error_) {
    auto err = std::move(*append_error_);
    append_error_.reset();
    // Neither what was queued nor what is in flight may meet the next
    // call.
    drop();
    return err;
  }
  if (n == 0)
    return std::nullopt;
  in_flight_ += n;
  int done = 0;
  while (!done)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK)
      return io_error(opts_.command_timeout) + " (pipeline: sending "
             + std::to_string(n) + " commands)";
  return std::nullopt;
}

std::variant<std::vector<reply>, std::string> connection::receive(size_t n) {
  n = std::min(n, in_flight_);
  std::vector<reply> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
      auto err = io_error(opts_.command_timeout);
      return err + " (pipeline: " + std::to_string(i) + " of "
             + std::to_string(n) + " replies read)";
    }
    --in_flight_;
    out.push_back(take(raw));
  }
  return out;
}

std::variant<std::vector<reply>, std::string> connection::flush() {
  if (auto err = send())
    return *err;
  return receive(in_flight_);
}

bool connection::alive() const {
  if (!ctx_ || ctx_->err)
    return false;
  // A closed socket reads as end of file at once; a live idle one would
  // block.
  char byte;
  auto n = ::recv(ctx_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0)
    return false;
  return n > 0 || errno == EAGAIN || errno == EWOULDBLOCK;
}

} // namespace sophia::actors::pipeline::redis
