#include "runtime/supervision/messages.hpp"

#include <caf/actor_system_config.hpp>

namespace sophia::runtime::supervision {

void announce(caf::actor_system_config& cfg) {
  cfg.add_message_type<child_info>("sophia.child_info");
  cfg.add_message_type<std::vector<child_info>>("sophia.child_info_list");
  cfg.add_message_type<child_counts>("sophia.child_counts");
  cfg.add_message_type<tree_node>("sophia.tree_node");
}

} // namespace sophia::runtime::supervision
