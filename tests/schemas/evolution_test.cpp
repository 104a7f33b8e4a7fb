// Nodes of different versions talk during a rolling upgrade: a message written
// by an older schema (a field added since) and by a newer one (fields we do not
// know) must both decode with the current codec, and ours must decode there.

#include <cstring>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <doctest/doctest.h>

#include "runtime/wire/codec.hpp"
#include "schemas/call_v0.capnp.h"
#include "schemas/call_v2.capnp.h"

using namespace sophia::runtime;

namespace {

wire::buffer flatten(capnp::MessageBuilder& mb) {
  auto flat = capnp::messageToFlatArray(mb);
  wire::buffer out;
  out.words.resize(flat.size());
  std::memcpy(
    out.words.data(), flat.begin(), flat.size() * sizeof(capnp::word));
  return out;
}

kj::ArrayPtr<const capnp::word> words(const wire::buffer& buf) {
  return { reinterpret_cast<const capnp::word*>(buf.words.data()),
           buf.words.size() };
}

} // namespace

TEST_CASE("a call envelope written by an older schema decodes, the new field "
          "defaulted") {
  capnp::MallocMessageBuilder mb;
  auto old = mb.initRoot<sophia::schemas::v0::CallEnvelope>();
  old.setTraceId("t-1");
  old.setCaller("edge-1");
  old.setDeadlineUnixNs(42);
  old.setMethod("echo");
  auto env = wire::decode_call_envelope(flatten(mb));
  REQUIRE(env);
  CHECK(env->trace_id == "t-1");
  CHECK(env->caller == "edge-1");
  CHECK(env->deadline_unix_ns == 42);
  CHECK(env->method == "echo");
  CHECK(env->payload.empty());
}

TEST_CASE(
  "a call envelope written by a newer schema decodes, unknown fields skipped") {
  capnp::MallocMessageBuilder mb;
  auto nx = mb.initRoot<sophia::schemas::v2::CallEnvelope>();
  nx.setTraceId("t-2");
  nx.setMethod("sleep");
  const char data[] = "100";
  nx.setPayload(
    capnp::Data::Reader{ reinterpret_cast<const kj::byte*>(data), 3 });
  nx.setPriority(7);
  auto tags = nx.initTags(2);
  tags.set(0, "a");
  tags.set(1, "b");
  auto env = wire::decode_call_envelope(flatten(mb));
  REQUIRE(env);
  CHECK(env->trace_id == "t-2");
  CHECK(env->method == "sleep");
  CHECK(env->payload == "100");
}

TEST_CASE("our envelope decodes with both the older and the newer schema") {
  auto buf = wire::encode(
    wire::call_envelope{ "t-3", "me", 7, "echo", std::string("\0x", 2) });
  {
    capnp::FlatArrayMessageReader r{ words(buf) };
    auto old = r.getRoot<sophia::schemas::v0::CallEnvelope>();
    CHECK(std::string{ old.getTraceId().cStr() } == "t-3");
    CHECK(old.getDeadlineUnixNs() == 7);
  }
  {
    capnp::FlatArrayMessageReader r{ words(buf) };
    auto nx = r.getRoot<sophia::schemas::v2::CallEnvelope>();
    CHECK(std::string{ nx.getMethod().cStr() } == "echo");
    CHECK(nx.getPayload().size() == 2);
    CHECK(nx.getPriority() == 0);
    CHECK(nx.getTags().size() == 0);
  }
}
