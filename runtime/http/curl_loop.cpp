#include "runtime/http/curl_loop.hpp"

#include "runtime/http/curl_errors.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <sys/epoll.h>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <curl/curl.h>

#include "runtime/system/lazy_timer.hpp"
#include "runtime/system/poller.hpp"

namespace sophia::runtime::http {

namespace {

using clock = std::chrono::steady_clock;

/// Easy handles kept for reuse; more are cleaned up.
constexpr size_t max_spare_handles = 256;

/// Timeouts of 0 that libcurl asks for in a row and that are run at once;
/// past that, the timer fires them through the poller, so that a transfer
/// that keeps asking cannot hold the actor.
constexpr int max_immediate_timeouts = 8;

/// One running attempt.
struct job {
  attempt a;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  attempt_result out;
  size_t received = 0;
  bool over_limit = false;
  /// -1: not decided yet; 0: buffer the body; 1: stream it to `stream_to`.
  int streaming = -1;
  clock::time_point started = clock::now();
  char errbuf[CURL_ERROR_SIZE] = {};
};

std::string lower(std::string_view s) {
  std::string out{ s };
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty()
         && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'
             || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto& j = *static_cast<job*>(user);
  auto len = size * n;
  auto line = trim({ data, len });
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (after a 1xx): only the last one's headers count.
    j.out.headers.clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    j.out.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                std::string{ trim(line.substr(colon + 1)) });
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

/// A socket libcurl told the loop about.
struct watch {
  /// What libcurl wants; 0 once it no longer wants the socket (an idle
  /// connection in its cache), which stays in the poller, disarmed, so
  /// that reusing the connection costs one re-arm and no add.
  uint32_t events = 0;
  /// Registered and not yet reported: the poller's registrations are
  /// one-shot, so a reported socket is re-armed after libcurl acted on it.
  bool armed = false;
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
  /// The socket whose report libcurl is acting on (re-armed after).
  int acting_fd = -1;
  std::unordered_map<int, watch> watched;
  std::unordered_map<uint64_t, std::unique_ptr<job>> running;
  std::vector<CURL*> spare;
  attempt_results finished;

  ~impl() {
    for (auto& [id, j] : running)
      release(*j);
    running.clear();
    for (auto e : spare)
      curl_easy_cleanup(e);
    curl_multi_cleanup(multi);
    for (auto& [fd, w] : watched)
      if (w.events != 0)
        io->remove(fd);
      else
        // Closed by the cleanup, which took it out of the kernel's set;
        // the number may be someone else's by now.
        io->forget(fd, sink.get());
  }

  // -- libcurl's callbacks ---------------------------------------------------

  static int on_socket(CURL*, curl_socket_t fd, int what, void* user, void*) {
    auto& self = *static_cast<impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      auto i = self.watched.find(fd);
      if (i == self.watched.end()) return 0;
      if (i->second.armed) {
        self.io->remove(fd);
        self.watched.erase(i);
      } else {
        // Already quiet (reported, not re-armed): parked at no cost.
        i->second.events = 0;
      }
      return 0;
    }
    auto events = epoll_events_of(what);
    auto [i, added] = self.watched.try_emplace(fd);
    auto& w = i->second;
    if (added) {
      w.events = events;
      w.armed = self.io->add(fd, events, self.sink);
    } else if (w.armed && w.events == events) {
      // nop: already watched for just that
    } else if (fd == self.acting_fd) {
      w.events = events; // `on_ready` re-arms it once libcurl returns
    } else {
      w.events = events;
      w.armed = self.io->rearm(fd, events, self.sink);
    }
    // A socket the kernel refuses to watch would hang its transfer; its
    // timeout still ends it.
    return 0;
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
    // Reported after libcurl dropped or parked it: nothing waits on it.
    if (i == watched.end() || i->second.events == 0) return;
    i->second.armed = false;
    acting_fd = fd;
    action(fd, curl_events_of(events));
    acting_fd = -1;
    // libcurl may have changed, parked or dropped the socket meanwhile.
    if (auto j = watched.find(fd);
        j != watched.end() && !j->second.armed && j->second.events != 0)
      j->second.armed = io->modify(fd, j->second.events);
  }

  void start(attempt a) {
    auto j = std::make_unique<job>();
    j->a = std::move(a);
    if (!spare.empty()) {
      j->easy = spare.back();
      spare.pop_back();
    } else {
      j->easy = curl_easy_init();
    }
    auto e = j->easy;
    auto& req = *j->a.req;
    curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, j.get());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(
                       std::min(j->a.connect_timeout, j->a.timeout).count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(j->a.timeout.count()));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j.get());
    if (req.url.compare(0, 8, "https://") == 0)
      // Prefer multiplexing on a connection being set up over opening
      // another one (HTTP/2 is only known after the TLS handshake).
      curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    if (!req.unix_socket.empty())
      curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, req.unix_socket.c_str());
    // Handles are reset when they return to `spare`: unset means the
    // system's CAs again.
    if (!j->a.ca_file.empty())
      curl_easy_setopt(e, CURLOPT_CAINFO, j->a.ca_file.c_str());
    if (req.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      if (!req.body.empty() || req.method == "POST") {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(req.body.size()));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.data());
      }
      if (req.method != "GET" && req.method != "POST")
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      else if (req.method == "GET" && !req.body.empty())
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");
    }
    bool has_expect = false;
    for (auto& [name, value] : req.headers) {
      has_expect = has_expect || lower(name) == "expect";
      auto line = name + (value.empty() ? ";" : ": " + value);
      j->headers = curl_slist_append(j->headers, line.c_str());
    }
    // No `Expect: 100-continue` round trip before larger bodies.
    if (!has_expect) j->headers = curl_slist_append(j->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
    j->started = clock::now();
    auto id = j->a.id;
    running.emplace(id, std::move(j));
    // Asks, through the timer callback, for a timeout run at once: that
    // run (in `settle`) starts the transfer; see `start_submitted`.
    curl_multi_add_handle(multi, e);
    unstarted = true;
  }

  /// Detaches the easy handle from `j` and keeps it for the next attempt.
  void release(job& j) {
    curl_multi_remove_handle(multi, j.easy);
    curl_slist_free_all(j.headers);
    j.headers = nullptr;
    // Reset keeps the handle's caches; connections live in the multi handle.
    curl_easy_reset(j.easy);
    if (spare.size() < max_spare_handles)
      spare.push_back(j.easy);
    else
      curl_easy_cleanup(j.easy);
    j.easy = nullptr;
  }

  void finish(job& j, CURLcode rc) {
    auto& out = j.out;
    out.id = j.a.id;
    out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      clock::now() - j.started);
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
      out.headers.clear();
      out.body.clear();
      classify_failure(out, j.easy, rc, j.a, j.over_limit, j.errbuf);
    }
    release(j);
    finished.push_back(std::move(j.out));
  }

  void drain() {
    int left = 0;
    while (auto msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      job* jp = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &jp);
      auto rc = msg->data.result;
      if (jp == nullptr) continue;
      auto i = running.find(jp->a.id);
      finish(*jp, rc);
      running.erase(i);
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
    d.running.erase(i);
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

attempt_results curl_loop::take_finished() {
  attempt_results out;
  out.swap(impl_->finished);
  return out;
}

} // namespace sophia::runtime::http
