#include "runtime/call/call.hpp"

#include <atomic>
#include <random>

#include <caf/scoped_actor.hpp>

#include "runtime/error.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::runtime::call {

namespace {

/// A 16-hex-digit id: random per process, then a counter (cheap, unique).
std::string new_trace_id() {
  static const uint64_t base = std::random_device{}() * 0x9E3779B97F4A7C15ull;
  static std::atomic<uint64_t> counter{ 0 };
  char buf[17];
  std::snprintf(buf,
                sizeof(buf),
                "%016llx",
                static_cast<unsigned long long>(base + counter++));
  return buf;
}

template <class Target>
caf::expected<std::string> blocking_call(caf::scoped_actor& self,
                                         const caf::actor& registry,
                                         const Target& target,
                                         const request& req) {
  caf::expected<std::string> result{ make_error(errc::none) };
  async_call(self.ptr(), registry, target, req)
    .receive([&](wire::buffer& reply) { result = reply_payload(reply); },
             [&](caf::error& err) {
               if (err == caf::sec::request_timeout)
                 result = make_error(errc::deadline_exceeded,
                                     "the router did not answer in time");
               else
                 result = std::move(err);
             });
  return result;
}

} // namespace

caf::duration router_timeout(const caf::node_id& caller,
                             const caf::actor& registry,
                             const request& req) {
  if (registry && registry.node() == caller) return caf::infinite;
  return caf::duration{ req.deadline + router_grace };
}

wire::buffer make_envelope(const request& req) {
  using namespace std::chrono;
  auto deadline = system_clock::now() + req.deadline;
  return wire::encode(wire::call_envelope{
    req.trace_id.empty() ? new_trace_id() : req.trace_id,
    req.caller,
    duration_cast<nanoseconds>(deadline.time_since_epoch()).count(),
    req.method,
    req.payload });
}

wire::buffer make_reply(std::string payload) {
  return wire::encode(wire::call_reply{ std::move(payload) });
}

caf::expected<std::string> reply_payload(const wire::buffer& reply) {
  auto r = wire::decode_call_reply(reply);
  if (!r) return r.error();
  return std::move(r->payload);
}

caf::expected<std::string> call(caf::scoped_actor& self,
                                const caf::actor& registry,
                                const std::string& name,
                                const request& req) {
  return blocking_call(self, registry, name, req);
}

caf::expected<std::string> call(caf::scoped_actor& self,
                                const caf::actor& registry,
                                const caf::actor& target,
                                const request& req) {
  return blocking_call(self, registry, target, req);
}

} // namespace sophia::runtime::call
