#include "actors/pipeline/vectors/index_shard.hpp"

#include <caf/all.hpp>

namespace sophia::actors::pipeline::vectors {

namespace rv = runtime::vectors;

namespace {

caf::behavior shard_impl(caf::event_based_actor* self, uint32_t number,
                         std::shared_ptr<rv::exact_index> index,
                         caf::actor_addr owner) {
  self->monitor(owner);
  // The only monitored actor is the owner: its index is gone.
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  auto reply = [number](uint64_t seq) {
    shard_reply r;
    r.seq = seq;
    r.shard = number;
    return r;
  };
  return {
    [index, reply](shard_add& a) {
      auto r = reply(a.seq);
      r.pipelined = a.pipelined;
      if (auto err = index->add_batch(a.ids, a.rows))
        r.error = std::move(*err);
      return r;
    },
    [index, reply](shard_search& s) {
      auto r = reply(s.seq);
      if (!s.queries) {
        r.error = "sharded_index: a search without queries";
        return r;
      }
      auto found = index->search_batch(*s.queries, s.k);
      if (auto* err = std::get_if<std::string>(&found))
        r.error = std::move(*err);
      else
        r.hits = std::move(std::get<std::vector<rv::hits>>(found));
      return r;
    },
  };
}

} // namespace

caf::actor spawn_index_shard(caf::actor_system& sys, uint32_t number,
                             rv::exact_index index,
                             const caf::actor_addr& owner) {
  return sys.spawn<caf::detached>(
    shard_impl, number, std::make_shared<rv::exact_index>(std::move(index)),
    owner);
}

} // namespace sophia::actors::pipeline::vectors
