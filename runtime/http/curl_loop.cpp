#include "runtime/http/curl_loop.hpp"

#include "runtime/http/curl_errors.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <pthread.h>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <curl/curl.h>

namespace sophia::runtime::http {

namespace {

using clock = std::chrono::steady_clock;

/// Easy handles kept for reuse; more are cleaned up.
constexpr size_t max_spare_handles = 256;

/// One running attempt, owned by the curl thread.
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

} // namespace

struct curl_loop::impl {
  caf::actor_addr owner;
  CURLM* multi = curl_multi_init();
  std::mutex mtx;
  std::vector<attempt> incoming;
  std::vector<uint64_t> aborts;
  bool stopping = false;
  std::thread thread;
  // Touched by the curl thread only:
  std::unordered_map<uint64_t, std::unique_ptr<job>> running;
  std::vector<CURL*> spare;
  /// Reports of the current turn, sent together.
  attempt_results finished;

  ~impl() {
    for (auto& [id, j] : running)
      release(*j);
    for (auto e : spare)
      curl_easy_cleanup(e);
    curl_multi_cleanup(multi);
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
    curl_multi_add_handle(multi, e);
    running.emplace(id, std::move(j));
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
    if (finished.empty()) return;
    if (auto h = caf::actor_cast<caf::strong_actor_ptr>(owner))
      caf::anon_send(caf::actor_cast<caf::actor>(h), done_atom::value,
                     std::move(finished));
    finished = attempt_results{};
  }

  void run() {
    pthread_setname_np(pthread_self(), "sophia.http");
    std::vector<attempt> add;
    std::vector<uint64_t> drop;
    for (;;) {
      {
        std::lock_guard<std::mutex> guard{ mtx };
        if (stopping) return;
        add.swap(incoming);
        drop.swap(aborts);
      }
      for (auto& a : add)
        start(std::move(a));
      add.clear();
      for (auto id : drop)
        if (auto i = running.find(id); i != running.end()) {
          // Removing a transfer mid-way closes its connection: the server
          // sees the abort.
          release(*i->second);
          running.erase(i);
        }
      drop.clear();
      int still = 0;
      curl_multi_perform(multi, &still);
      drain();
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
  }
};

curl_loop::curl_loop(caf::actor_addr owner)
  : impl_(std::make_shared<impl>()) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->owner = std::move(owner);
  // Connections stay cached however few transfers run at a moment (the
  // default shrinks the cache with the number of handles added).
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, 1024L);
  // The thread co-owns the state: were the last reference to the actor
  // dropped on the curl thread, `stop` runs there and cannot join itself.
  impl_->thread = std::thread{ [p = impl_] { p->run(); } };
}

curl_loop::~curl_loop() {
  stop();
}

void curl_loop::submit(attempt a) {
  bool first = false;
  {
    std::lock_guard<std::mutex> guard{ impl_->mtx };
    first = impl_->incoming.empty();
    impl_->incoming.push_back(std::move(a));
  }
  // One wake-up per batch: the thread takes the whole queue at once, and a
  // queue that was not empty already has a wake-up on its way.
  if (first) curl_multi_wakeup(impl_->multi);
}

void curl_loop::abort(uint64_t id) {
  {
    std::lock_guard<std::mutex> guard{ impl_->mtx };
    impl_->aborts.push_back(id);
  }
  curl_multi_wakeup(impl_->multi);
}

void curl_loop::stop() {
  {
    std::lock_guard<std::mutex> guard{ impl_->mtx };
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  curl_multi_wakeup(impl_->multi);
  if (!impl_->thread.joinable()) return;
  if (impl_->thread.get_id() == std::this_thread::get_id())
    impl_->thread.detach();
  else
    impl_->thread.join();
}

} // namespace sophia::runtime::http
