#include "runtime/wire/codec.hpp"

#include "runtime/wire/capnp_io.hpp"
#include "schemas/call.capnp.h"
#include "schemas/membership.capnp.h"
#include "schemas/registry.capnp.h"

namespace sophia::runtime::wire {

const char* to_string(member_state x) {
  switch (x) {
    case member_state::up: return "up";
    case member_state::suspect: return "suspect";
    case member_state::down: return "down";
  }
  return "unknown";
}

namespace {

namespace s = sophia::schemas;

void fill(s::NodeInfo::Builder b, const node_info& x) {
  b.setName(x.name);
  b.setCluster(x.cluster);
  b.setIncarnation(x.incarnation);
  b.setPid(x.pid);
  b.setHost(x.host);
  b.setPort(x.port);
  b.setVersion(x.version);
}

node_info extract(s::NodeInfo::Reader r) {
  return { str(r.getName()),   str(r.getCluster()), r.getIncarnation(),
           r.getPid(),         str(r.getHost()),    r.getPort(),
           str(r.getVersion()) };
}

} // namespace

buffer encode(const hello& x) {
  return build<s::Hello>(
    [&](s::Hello::Builder b) { fill(b.initFrom(), x.from); });
}

caf::expected<hello> decode_hello(const buffer& buf) {
  return read<s::Hello>(
    buf, [](s::Hello::Reader r) { return hello{ extract(r.getFrom()) }; });
}

buffer encode(const heartbeat& x) {
  return build<s::Heartbeat>([&](s::Heartbeat::Builder b) {
    b.setFrom(x.from);
    b.setIncarnation(x.incarnation);
    b.setSeq(x.seq);
    b.setSentUnixNs(x.sent_unix_ns);
  });
}

caf::expected<heartbeat> decode_heartbeat(const buffer& buf) {
  return read<s::Heartbeat>(buf, [](s::Heartbeat::Reader r) {
    return heartbeat{
      str(r.getFrom()), r.getIncarnation(), r.getSeq(), r.getSentUnixNs()
    };
  });
}

buffer encode(const leave& x) {
  return build<s::Leave>([&](s::Leave::Builder b) {
    b.setFrom(x.from);
    b.setIncarnation(x.incarnation);
    b.setReason(x.reason);
  });
}

caf::expected<leave> decode_leave(const buffer& buf) {
  return read<s::Leave>(buf, [](s::Leave::Reader r) {
    return leave{ str(r.getFrom()), r.getIncarnation(), str(r.getReason()) };
  });
}

buffer encode(const membership_view& x) {
  return build<s::MembershipView>([&](s::MembershipView::Builder b) {
    b.setCluster(x.cluster);
    b.setSeenFrom(x.seen_from);
    auto members = b.initMembers(x.members.size());
    for (size_t i = 0; i < x.members.size(); ++i) {
      const auto& m = x.members[i];
      auto mb = members[i];
      mb.setName(m.name);
      mb.setHost(m.host);
      mb.setPort(m.port);
      auto roles = mb.initRoles(m.roles.size());
      for (size_t j = 0; j < m.roles.size(); ++j)
        roles.set(j, m.roles[j]);
      mb.setState(static_cast<s::MemberState>(m.state));
      mb.setSinceUnixMs(m.since_unix_ms);
      mb.setHeartbeatAgeMs(m.heartbeat_age_ms);
      mb.setIncarnation(m.incarnation);
    }
  });
}

caf::expected<membership_view> decode_membership_view(const buffer& buf) {
  return read<s::MembershipView>(buf, [](s::MembershipView::Reader r) {
    membership_view out{ str(r.getCluster()), str(r.getSeenFrom()), {} };
    for (auto m : r.getMembers()) {
      member_status st;
      st.name = str(m.getName());
      st.host = str(m.getHost());
      st.port = m.getPort();
      for (auto role : m.getRoles())
        st.roles.emplace_back(str(role));
      st.state = static_cast<member_state>(m.getState());
      if (st.state > member_state::down) // an enumerant from a newer version
        st.state = member_state::down;
      st.since_unix_ms = m.getSinceUnixMs();
      st.heartbeat_age_ms = m.getHeartbeatAgeMs();
      st.incarnation = m.getIncarnation();
      out.members.emplace_back(std::move(st));
    }
    return out;
  });
}

buffer encode(const registry_snapshot& x) {
  return build<s::RegistrySnapshot>([&](s::RegistrySnapshot::Builder b) {
    b.setNode(x.node);
    b.setIncarnation(x.incarnation);
    b.setVersion(x.version);
    auto entries = b.initEntries(x.entries.size());
    for (size_t i = 0; i < x.entries.size(); ++i) {
      entries[i].setName(x.entries[i].name);
      entries[i].setHandle(x.entries[i].handle);
    }
  });
}

caf::expected<registry_snapshot> decode_registry_snapshot(const buffer& buf) {
  return read<s::RegistrySnapshot>(buf, [](s::RegistrySnapshot::Reader r) {
    registry_snapshot out{
      str(r.getNode()), r.getIncarnation(), r.getVersion(), {}
    };
    for (auto e : r.getEntries())
      out.entries.push_back({ str(e.getName()), e.getHandle() });
    return out;
  });
}

buffer encode(const call_envelope& x) {
  return build<s::CallEnvelope>([&](s::CallEnvelope::Builder b) {
    b.setTraceId(x.trace_id);
    b.setCaller(x.caller);
    b.setDeadlineUnixNs(x.deadline_unix_ns);
    b.setMethod(x.method);
    b.setPayload(as_data(x.payload));
  });
}

caf::expected<call_envelope> decode_call_envelope(const buffer& buf) {
  return read<s::CallEnvelope>(buf, [](s::CallEnvelope::Reader r) {
    return call_envelope{ str(r.getTraceId()),
                          str(r.getCaller()),
                          r.getDeadlineUnixNs(),
                          str(r.getMethod()),
                          bytes(r.getPayload()) };
  });
}

buffer encode(const call_reply& x) {
  return build<s::CallReply>(
    [&](s::CallReply::Builder b) { b.setPayload(as_data(x.payload)); });
}

caf::expected<call_reply> decode_call_reply(const buffer& buf) {
  return read<s::CallReply>(buf, [](s::CallReply::Reader r) {
    return call_reply{ bytes(r.getPayload()) };
  });
}

} // namespace sophia::runtime::wire
