#pragma once

// The parts of the conformance fixtures (fixtures.hpp), each adding its own
// declarations and handlers to one service spec (runtime/mcp/service.hpp):
// tools in fixture_tools.cpp, resources in fixture_resources.cpp, prompts
// and completions in fixture_prompts.cpp. Internal to this module.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/message_handler.hpp>
#include <nlohmann/json.hpp>

#include "runtime/mcp/service.hpp"

namespace sophia::actors::conformance::parts {

using json = nlohmann::json;
namespace mcp = runtime::mcp;

/// The timer of a timed tool: `(job_step, job id)`.
using job_step = caf::atom_constant<caf::atom("cfstep")>;
/// The timer of a subscription's update: `(res_update, uri, channel)`.
using res_update = caf::atom_constant<caf::atom("cfupdate")>;

/// One step of a timed tool, run when its timer fires: the delay to the next
/// step, or none once it answered the call.
using tick = std::function<std::optional<std::chrono::milliseconds>()>;

/// A tool call answered over several timer steps.
struct job {
  mcp::call_ptr call;
  tick step;
};

/// What the fixture's handlers share (all run in the one service actor).
struct fixture_state {
  std::map<uint64_t, job> jobs;
  uint64_t next_job = 0;
  /// Channels given by `resources/subscribe`, per URI.
  std::map<std::string, std::vector<caf::actor>> subscribers;
};

using state_ptr = std::shared_ptr<fixture_state>;

// -- fixture data (as in the suite's reference server) ------------------------

/// A 1x1 red PNG pixel.
constexpr const char* image_png =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8"
  "jx0gAAAABJRU5ErkJggg==";

// -- helpers ------------------------------------------------------------------

/// Never throws: invalid UTF-8 is replaced.
std::string dump(const json& j);

json text_item(std::string text);
json image_item();
json resource_item(std::string uri, std::string mime, std::string text);

/// The required string member `key` of `obj`; when it is missing or not a
/// string, rejects `c` (`errc::rejected`, naming `where`) and returns none.
std::optional<std::string> string_member(const mcp::call_ptr& c,
                                         const json& obj,
                                         const char* key,
                                         const std::string& where);

/// Whether `uri` is one of the fixture's resources or a template instance.
bool is_resource(std::string_view uri);

// -- the parts ----------------------------------------------------------------

/// The tools; their timers run through `tool_handlers`.
void add_tools(mcp::service_spec& spec, const state_ptr& st);
caf::message_handler tool_handlers(caf::event_based_actor* self,
                                   const state_ptr& st);

/// The resources, the template, `resources/read`, `resources/subscribe` and
/// `resources/unsubscribe`; the updates run through `resource_handlers`,
/// and `watch_channels` (from `on_start`) forgets channels that went down.
void add_resources(mcp::service_spec& spec, const state_ptr& st);
caf::message_handler resource_handlers(caf::event_based_actor* self,
                                       const state_ptr& st);
void watch_channels(caf::event_based_actor* self, const state_ptr& st);

/// The prompts, `prompts/get` and `completion/complete`.
void add_prompts(mcp::service_spec& spec);

} // namespace sophia::actors::conformance::parts
