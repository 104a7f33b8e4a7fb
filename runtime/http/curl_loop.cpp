#include "runtime/http/curl_loop.hpp"

#include "runtime/http/curl_errors.hpp"
#include "runtime/http/header_text.hpp"
#include "runtime/http/proxy_env.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <sys/epoll.h>
#include <unistd.h>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <curl/curl.h>

#include "runtime/system/lazy_timer.hpp"
#include "runtime/system/poller.hpp"

namespace sophia::runtime::http {

namespace {

using clock = std::chrono::steady_clock;

/// Jobs (with their easy handles) kept for reuse; more are cleaned up.
constexpr size_t max_spare_jobs = 256;

/// Timeouts of 0 that libcurl asks for in a row and that are run at once;
/// past that, the timer fires them through the poller, so that a transfer
/// that keeps asking cannot hold the actor.
constexpr int max_immediate_timeouts = 8;

/// The options a request may set differently from the one before it on
/// the same easy handle, as last set. The handle is not reset between
/// requests (a reset and setting every option again cost some 10 % of the
/// throughput at 64 callers): only what differs is set, and `reset` says
/// when that cannot be undone option by option.
struct applied {
  long connect_timeout_ms = -1;
  long timeout_ms = -1;
  bool pipewait = false;
  bool unix_socket = false;
  /// The proxy set, one of `impl::proxies`' strings (null: none set yet).
  const std::string* proxy = nullptr;
  /// NOBODY, POSTFIELDS or CUSTOMREQUEST were set: a plain GET must undo
  /// them.
  bool not_plain_get = false;
  std::string ca_file;
};

/// The size of a typical response's header lines, reserved at once.
constexpr size_t expected_header_bytes = 1024;

/// One attempt, and the easy handle it runs on; kept with the handle for
/// the next attempt once it ends.
struct job {
  attempt a;
  CURL* easy = nullptr;
  applied opts;
  /// The request's header list; `shared_headers` when it has none of its
  /// own (not freed per request).
  curl_slist* headers = nullptr;
  attempt_result out;
  size_t received = 0;
  bool over_limit = false;
  /// -1: not decided yet; 0: buffer the body; 1: stream it to `stream_to`.
  int streaming = -1;
  clock::time_point started = clock::now();
  char errbuf[CURL_ERROR_SIZE] = {};
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto& j = *static_cast<job*>(user);
  auto len = size * n;
  std::string_view line{ data, len };
  auto& out = j.out.header_block;
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (after a 1xx): only the last one's headers count.
    out.clear();
    // Room for a typical response's headers at once.
    out.reserve(expected_header_bytes);
  } else if (line.find(':') != std::string_view::npos) {
    out.append(line);
  }
  return len;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto& j = *static_cast<job*>(user);
  auto len = size * n;
  j.received += len;
  if (j.received > j.a.max_bytes) {
    j.over_limit = true;
    return 0; // anything but `len` aborts the transfer
  }
  if (j.streaming < 0) {
    // Only a successful body is streamed: an error's body belongs in the
    // response, where the caller can read the server's message.
    long code = 0;
    curl_easy_getinfo(j.easy, CURLINFO_RESPONSE_CODE, &code);
    j.streaming = (j.a.req->stream_to && code >= 200 && code < 300) ? 1 : 0;
  }
  if (j.streaming == 1) {
    j.out.streamed = true;
    caf::anon_send(j.a.req->stream_to, chunk::value, j.a.req->tag,
                   std::string{ data, len });
  } else {
    j.out.body.append(data, len);
  }
  return len;
}

/// Tells the owner which of the loop's descriptors are ready, one message
/// per round of the poller however many there are.
class ready_sink : public system::poll_sink {
public:
  explicit ready_sink(caf::actor_addr owner) : owner_(std::move(owner)) {
  }

  void ready(int fd, uint32_t events) override {
    pending_.emplace_back(fd, events);
  }

  /// Asks the owner, through its mailbox, to start what was submitted:
  /// `(io_ready_atom, io_events{})`, after the messages already there.
  void remind() {
    if (auto h = caf::actor_cast<caf::actor>(owner_))
      caf::anon_send(h, io_ready_atom::value, io_events{});
  }

  void flush() override {
    if (pending_.empty()) return;
    if (auto h = caf::actor_cast<caf::actor>(owner_))
      caf::anon_send(h, io_ready_atom::value, std::move(pending_));
    pending_ = io_events{};
  }

private:
  caf::actor_addr owner_;
  /// Only the poller's waiting thread touches it, one round at a time.
  io_events pending_;
};

/// A socket libcurl told the loop about, open until libcurl closes it
/// through `on_close`.
struct watch {
  /// What libcurl wants; 0 once it no longer wants the socket (an idle
  /// connection in its cache).
  uint32_t events = 0;
  /// What the poller watches it for. An idle connection stays watched for
  /// what its last request needed, so that the next request on it costs
  /// no `epoll_ctl`; only if it reports while idle (the server closed it)
  /// is it silenced.
  uint32_t told = 0;
};

uint32_t epoll_events_of(int what) {
  switch (what) {
    case CURL_POLL_IN:
      return EPOLLIN;
    case CURL_POLL_OUT:
      return EPOLLOUT;
    default:
      return EPOLLIN | EPOLLOUT;
  }
}

int curl_events_of(uint32_t events) {
  int out = 0;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) out |= CURL_CSELECT_IN;
  if (events & EPOLLOUT) out |= CURL_CSELECT_OUT;
  if (events & EPOLLERR) out |= CURL_CSELECT_ERR;
  return out;
}

} // namespace

struct curl_loop::impl {
  std::shared_ptr<system::poller> io;
  std::shared_ptr<ready_sink> sink;
  std::unique_ptr<system::lazy_timer> timer;
  CURLM* multi = curl_multi_init();
  /// libcurl asked for its timeout to run now (a timeout of 0).
  bool timeout_due = false;
  /// Transfers were submitted and not started yet.
  bool unstarted = false;
  /// The owner was reminded to start them, and has not yet.
  bool reminded = false;
  std::unordered_map<int, watch> watched;
  using running_map = std::unordered_map<uint64_t, std::unique_ptr<job>>;
  running_map running;
  /// Jobs that ended, with their easy handles, each in the map node it
  /// ran in: starting an attempt then allocates nothing.
  std::vector<running_map::node_type> spare;
  attempt_results finished;
  /// The header list of requests without headers of their own.
  curl_slist* shared_headers = curl_slist_append(nullptr, "Expect:");
  /// The environment's proxies, read once (see `proxy_env`).
  proxy_env proxies = proxy_env::from_environment();

  ~impl() {
    for (auto& [id, j] : running) {
      release(*j);
      curl_easy_cleanup(j->easy);
    }
    running.clear();
    for (auto& n : spare)
      curl_easy_cleanup(n.mapped()->easy);
    curl_slist_free_all(shared_headers);
    // Closes every connection, through `on_close`.
    curl_multi_cleanup(multi);
    for (auto& [fd, w] : watched)
      io->forget(fd, sink.get());
  }

  // -- libcurl's callbacks ---------------------------------------------------

  static int on_socket(CURL*, curl_socket_t fd, int what, void* user, void*) {
    auto& self = *static_cast<impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      // Idle in libcurl's cache (or about to be closed): left as watched.
      if (auto i = self.watched.find(fd); i != self.watched.end())
        i->second.events = 0;
      return 0;
    }
    auto& w = self.watched[fd];
    w.events = epoll_events_of(what);
    if (w.told != w.events) {
      // A socket the kernel refuses to watch would hang its transfer; its
      // timeout still ends it.
      self.io->watch(fd, w.events, self.sink);
      w.told = w.events;
    }
    return 0;
  }

  /// libcurl closes a socket: out of the poller before the number can be
  /// reused, and then closed.
  static int on_close(void* user, curl_socket_t fd) {
    auto& self = *static_cast<impl*>(user);
    self.watched.erase(fd);
    self.io->unwatch_before_close(fd);
    return close(fd);
  }

  static int on_timer(CURLM*, long timeout_ms, void* user) {
    auto& self = *static_cast<impl*>(user);
    if (timeout_ms < 0)
      self.timer->cancel();
    else if (timeout_ms == 0)
      // Run by `settle` once libcurl has returned; libcurl may not be
      // called from inside its own callback.
      self.timeout_due = true;
    else
      self.timer->expire_at(system::lazy_timer::clock::now()
                            + std::chrono::milliseconds{ timeout_ms });
    return 0;
  }

  // -- driving the multi handle ----------------------------------------------

  void action(curl_socket_t fd, int events) {
    int still = 0;
    curl_multi_socket_action(multi, fd, events, &still);
    settle();
  }

  /// Runs the timeouts libcurl asked to run now, and collects what ended.
  void settle() {
    for (int n = 0; timeout_due && n < max_immediate_timeouts; ++n) {
      timeout_due = false;
      int still = 0;
      curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &still);
    }
    if (timeout_due) {
      timeout_due = false;
      timer->expire_at(system::lazy_timer::clock::now());
    }
    drain();
  }

  void on_ready(int fd, uint32_t events) {
    if (fd == timer->fd()) {
      if (timer->fired()) action(CURL_SOCKET_TIMEOUT, 0);
      return;
    }
    auto i = watched.find(fd);
    // Closed since: nothing waits on it (and the poller forgot it).
    if (i == watched.end()) return;
    if (i->second.events == 0) {
      // An idle connection that speaks (the server closed it): silent
      // until libcurl reuses or closes it, which it finds out itself.
      i->second.told = 0;
      io->watch(fd, 0, sink);
    } else {
      action(fd, curl_events_of(events));
    }
    // libcurl has read what there was (it reads until the socket would
    // block): the next report is news. If libcurl closed the socket
    // meanwhile, and the number went to a new one, that one has no report
    // pending yet either.
    io->acted(fd);
  }

  /// A job in `running` under `id`: a spare one, or a new one with a new
  /// handle.
  job& take_job(uint64_t id) {
    if (spare.empty()) {
      auto j = std::make_unique<job>();
      j->easy = curl_easy_init();
      set_constant_options(*j);
      return *running.emplace(id, std::move(j)).first->second;
    }
    auto n = std::move(spare.back());
    spare.pop_back();
    n.key() = id;
    auto& j = *n.mapped();
    j.out = attempt_result{};
    j.received = 0;
    j.over_limit = false;
    j.streaming = -1;
    j.errbuf[0] = '\0';
    running.insert(std::move(n));
    return j;
  }

  /// What every request on the handle sets alike.
  void set_constant_options(job& j) {
    auto e = j.easy;
    // Connections outlive handles: every handle closes through the loop.
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &impl::on_close);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &j);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j.errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &j);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &j);
    // Set, so that libcurl does not read the environment per request.
    curl_easy_setopt(e, CURLOPT_NOPROXY, proxies.no_proxy.c_str());
    j.opts = applied{};
  }

  /// Sets the options of `j`'s request that differ from the last one's.
  void set_request_options(job& j) {
    auto e = j.easy;
    auto& req = *j.a.req;
    auto& o = j.opts;
    // CAINFO has no "back to the default" value but the default itself,
    // which only a reset restores.
    if (!o.ca_file.empty() && j.a.ca_file.empty()) {
      curl_easy_reset(e);
      set_constant_options(j);
    }
    curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
    auto connect_ms = static_cast<long>(
      std::min(j.a.connect_timeout, j.a.timeout).count());
    if (connect_ms != o.connect_timeout_ms)
      curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms = connect_ms);
    auto timeout_ms = static_cast<long>(j.a.timeout.count());
    if (timeout_ms != o.timeout_ms)
      curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o.timeout_ms = timeout_ms);
    // Prefer multiplexing on a connection being set up over opening
    // another one (HTTP/2 is only known after the TLS handshake).
    bool pipewait = req.url.compare(0, 8, "https://") == 0;
    if (auto& proxy = proxies.for_url(req.url); &proxy != o.proxy) {
      curl_easy_setopt(e, CURLOPT_PROXY, proxy.c_str());
      o.proxy = &proxy;
    }
    if (pipewait != o.pipewait)
      curl_easy_setopt(e, CURLOPT_PIPEWAIT, (o.pipewait = pipewait) ? 1L : 0L);
    if (!req.unix_socket.empty() || o.unix_socket) {
      o.unix_socket = !req.unix_socket.empty();
      curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH,
                       o.unix_socket ? req.unix_socket.c_str() : nullptr);
    }
    if (j.a.ca_file != o.ca_file) {
      o.ca_file = j.a.ca_file;
      curl_easy_setopt(e, CURLOPT_CAINFO, o.ca_file.c_str());
    }
    bool plain_get = req.method == "GET" && req.body.empty();
    if (o.not_plain_get) {
      // Back to a GET without a body. Setting POSTFIELDS, even to null,
      // makes the method POST: HTTPGET comes last, and clears NOBODY, POST
      // and UPLOAD.
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, nullptr);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t{ -1 });
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, nullptr);
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    o.not_plain_get = !plain_get;
    if (req.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (!plain_get) {
      if (!req.body.empty() || req.method == "POST") {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(req.body.size()));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.data());
      }
      if (req.method != "GET" && req.method != "POST")
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      else if (req.method == "GET")
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");
    }
    if (req.headers.empty()) {
      // Nothing to add or suppress for a GET without a body: libcurl then
      // checks no custom header at every step of building the request.
      j.headers = plain_get ? nullptr : shared_headers;
    } else {
      bool has_expect = false;
      j.headers = nullptr;
      for (auto& [name, value] : req.headers) {
        has_expect = has_expect || iequals(name, "expect");
        auto line = name + (value.empty() ? ";" : ": " + value);
        j.headers = curl_slist_append(j.headers, line.c_str());
      }
      // No `Expect: 100-continue` round trip before larger bodies.
      if (!has_expect) j.headers = curl_slist_append(j.headers, "Expect:");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j.headers);
  }

  void start(attempt a) {
    auto& j = take_job(a.id);
    j.a = std::move(a);
    set_request_options(j);
    j.started = j.a.started;
    // Asks, through the timer callback, for a timeout run at once: that
    // run (in `settle`) starts the transfer; see `start_submitted`.
    curl_multi_add_handle(multi, j.easy);
    unstarted = true;
  }

  /// Detaches the easy handle of `j` from the multi handle.
  void release(job& j) {
    curl_multi_remove_handle(multi, j.easy);
    if (j.headers != shared_headers) curl_slist_free_all(j.headers);
    j.headers = nullptr;
    // The request's strings may go now: the handle no longer reads them.
    j.a.req.reset();
  }

  /// Takes the job of an attempt that ended out of `running`, and keeps
  /// it for the next one.
  void recycle(running_map::iterator i) {
    auto n = running.extract(i);
    if (spare.size() < max_spare_jobs)
      spare.push_back(std::move(n));
    else
      curl_easy_cleanup(n.mapped()->easy);
  }

  void finish(job& j, CURLcode rc, clock::time_point now) {
    auto& out = j.out;
    out.id = j.a.id;
    out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      now - j.started);
    long connects = 0;
    curl_easy_getinfo(j.easy, CURLINFO_NUM_CONNECTS, &connects);
    out.new_connections = connects;
    if (rc == CURLE_OK) {
      long code = 0;
      long version = 0;
      curl_easy_getinfo(j.easy, CURLINFO_RESPONSE_CODE, &code);
      curl_easy_getinfo(j.easy, CURLINFO_HTTP_VERSION, &version);
      out.status = static_cast<int>(code);
      out.http_version = http_version_name(version);
    } else {
      out.header_block.clear();
      out.body.clear();
      classify_failure(out, j.easy, rc, j.a, j.over_limit, j.errbuf);
    }
    release(j);
    finished.push_back(std::move(j.out));
  }

  void drain() {
    // One reading for the batch: they ended in the same libcurl run.
    auto now = clock::now();
    int left = 0;
    while (auto msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      job* jp = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &jp);
      auto rc = msg->data.result;
      if (jp == nullptr) continue;
      auto i = running.find(jp->a.id);
      finish(*jp, rc, now);
      recycle(i);
    }
  }
};

curl_loop::curl_loop(caf::actor_addr owner,
                     std::shared_ptr<system::poller> io)
  : impl_(std::make_unique<impl>()) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto& d = *impl_;
  d.io = std::move(io);
  d.sink = std::make_shared<ready_sink>(std::move(owner));
  d.timer = std::make_unique<system::lazy_timer>(d.io, d.sink);
  // Connections stay cached however few transfers run at a moment (the
  // default shrinks the cache with the number of handles added).
  curl_multi_setopt(d.multi, CURLMOPT_MAXCONNECTS, 1024L);
  curl_multi_setopt(d.multi, CURLMOPT_SOCKETFUNCTION, &impl::on_socket);
  curl_multi_setopt(d.multi, CURLMOPT_SOCKETDATA, impl_.get());
  curl_multi_setopt(d.multi, CURLMOPT_TIMERFUNCTION, &impl::on_timer);
  curl_multi_setopt(d.multi, CURLMOPT_TIMERDATA, impl_.get());
}

curl_loop::~curl_loop() = default;

void curl_loop::submit(attempt a) {
  impl_->start(std::move(a));
}

void curl_loop::abort(uint64_t id) {
  auto& d = *impl_;
  if (auto i = d.running.find(id); i != d.running.end()) {
    // Removing a transfer mid-way closes its connection: the server sees
    // the abort.
    d.release(*i->second);
    d.recycle(i);
  }
}

std::string curl_loop::broken() const {
  if (impl_->multi == nullptr) return "curl_multi_init failed";
  if (impl_->timer->fd() < 0)
    return "cannot create a timerfd: " + impl_->timer->failure();
  return {};
}

bool curl_loop::has_unstarted() const {
  return impl_->unstarted;
}

void curl_loop::start_submitted() {
  impl_->unstarted = false;
  impl_->settle();
}

void curl_loop::start_later() {
  auto& d = *impl_;
  if (d.reminded) return;
  d.reminded = true;
  d.sink->remind();
}

void curl_loop::on_ready(const io_events& events) {
  if (events.empty()) {
    impl_->reminded = false;
    start_submitted();
    return;
  }
  for (auto& [fd, ev] : events)
    impl_->on_ready(fd, ev);
}

void curl_loop::take_finished(attempt_results& out) {
  out.clear();
  out.swap(impl_->finished);
}

} // namespace sophia::runtime::http
