#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace sophia::runtime::registry {

/// Spawns the registry actor of node `self`: the cluster-wide name table and
/// the router of calls made through `runtime/call/call.hpp`.
///
/// Local API:
/// - `(put_atom, std::string name, actor)` -> `ok_atom`, or `errc::rejected`
///   when another actor of this node holds the name
/// - `(delete_atom, std::string name)` -> `ok_atom`
/// - `(get_atom, std::string name)` -> `actor`, or `errc::not_found`;
///   `name@node` picks the entry of one node
/// - `(get_atom, atoms::all)` -> `std::vector<std::string>` of `name@node`
/// - `(call, std::string name | actor target, buffer CallEnvelope, timespan)`
///   -> `buffer CallReply`; fails with `deadline_exceeded` after the timespan
///   and with `node_down` as soon as the target or its node goes down
/// - `(call, actor target, buffer, timespan, actor channel)`: as above; the
///   target receives `(call, buffer, channel)`
///
/// From the membership actor: `(member, event)`; from peer registries:
/// `(regsync, buffer RegistrySnapshot, std::vector<actor>)`, and
/// `(get_atom, regsync)` asking for this node's snapshot.
/// Local entries vanish when their actor terminates; a peer's entries vanish
/// when it goes down and come back with its next snapshot.
caf::actor spawn_registry(caf::actor_system& sys,
                          std::string self,
                          uint64_t incarnation);

} // namespace sophia::runtime::registry
