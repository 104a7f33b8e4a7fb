#include "actors/conformance/fixtures.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::actors::conformance {

namespace {

// Objects keep their keys in insertion order, so that texts such as the
// template's `{"id":"123","templateTest":true,...}` read as the suite's
// reference server writes them, and schemas keep their authored order.
using json = nlohmann::ordered_json;
using runtime::errc;
using runtime::make_error;
namespace mcp = runtime::mcp;
namespace atoms = runtime::atoms;
namespace wire = runtime::wire;
using reply_promise = caf::typed_response_promise<wire::buffer>;

/// The timer of a running job: `(job_step, job id)`.
using job_step = caf::atom_constant<caf::atom("cfstep")>;
/// The timer of a subscription's update: `(res_update, uri, channel)`.
using res_update = caf::atom_constant<caf::atom("cfupdate")>;

// -- fixture data (as in the suite's reference server) ------------------------

/// A 1x1 red PNG pixel.
constexpr const char* image_png =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8"
  "jx0gAAAABJRU5ErkJggg==";

/// A valid WAV file: mono, 16 bit, 8 kHz, 8 silent samples (the reference
/// server's is cut short after its header).
constexpr const char* audio_wav =
  "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAA"
  "AAAAAA";

constexpr std::string_view static_text_uri = "test://static-text";
constexpr std::string_view static_binary_uri = "test://static-binary";
constexpr std::string_view watched_uri = "test://watched-resource";
constexpr std::string_view template_uri = "test://template/{id}/data";
constexpr std::string_view template_head = "test://template/";
constexpr std::string_view template_tail = "/data";

constexpr std::chrono::milliseconds log_gap{ 50 };
constexpr std::chrono::milliseconds progress_gap{ 50 };
constexpr std::chrono::milliseconds reconnect_delay{ 100 };
constexpr std::chrono::milliseconds slow_tick{ 100 };
constexpr std::chrono::milliseconds update_delay{ 100 };
constexpr std::chrono::seconds ask_timeout{ 60 };
constexpr int64_t slow_max_ms = 600000;

const char* const json_schema_2020_12 = R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "$defs": {
    "address": {
      "type": "object",
      "properties": {
        "street": { "type": "string" },
        "city": { "type": "string" }
      }
    }
  },
  "properties": {
    "name": { "type": "string" },
    "address": { "$ref": "#/$defs/address" }
  },
  "additionalProperties": false
})json";

const char* const elicitation_schema = R"json({
  "type": "object",
  "properties": {
    "username": { "type": "string", "description": "User's response" },
    "email": { "type": "string", "description": "User's email address" }
  },
  "required": ["username", "email"]
})json";

const char* const sep1034_schema = R"json({
  "type": "object",
  "properties": {
    "name": { "type": "string", "description": "User name", "default": "John Doe" },
    "age": { "type": "integer", "description": "User age", "default": 30 },
    "score": { "type": "number", "description": "User score", "default": 95.5 },
    "status": {
      "type": "string",
      "description": "User status",
      "enum": ["active", "inactive", "pending"],
      "default": "active"
    },
    "verified": { "type": "boolean", "description": "Verification status", "default": true }
  },
  "required": []
})json";

const char* const sep1330_schema = R"json({
  "type": "object",
  "properties": {
    "untitledSingle": {
      "type": "string",
      "description": "Select one option",
      "enum": ["option1", "option2", "option3"]
    },
    "titledSingle": {
      "type": "string",
      "description": "Select one option with titles",
      "oneOf": [
        { "const": "value1", "title": "First Option" },
        { "const": "value2", "title": "Second Option" },
        { "const": "value3", "title": "Third Option" }
      ]
    },
    "legacyEnum": {
      "type": "string",
      "description": "Select one option (legacy)",
      "enum": ["opt1", "opt2", "opt3"],
      "enumNames": ["Option One", "Option Two", "Option Three"]
    },
    "untitledMulti": {
      "type": "array",
      "description": "Select multiple options",
      "minItems": 1,
      "maxItems": 3,
      "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
    },
    "titledMulti": {
      "type": "array",
      "description": "Select multiple options with titles",
      "minItems": 1,
      "maxItems": 3,
      "items": {
        "anyOf": [
          { "const": "value1", "title": "First Choice" },
          { "const": "value2", "title": "Second Choice" },
          { "const": "value3", "title": "Third Choice" }
        ]
      }
    }
  },
  "required": []
})json";

/// Completion candidates for the arguments of test_prompt_with_arguments.
const std::vector<std::string> city_candidates = { "paris", "park", "party" };
/// Completion candidates for the template's `{id}`.
const std::vector<std::string> id_candidates = { "123", "456", "789" };

// -- errors
// ---------------------------------------------------------------------

/// Thrown inside a handler, turned into its `caf::error` reply at the top.
struct failure {
  errc code;
  std::string what;
};

[[noreturn]] void fail(errc code, std::string what) {
  throw failure{ code, std::move(what) };
}

// -- JSON helpers
// ---------------------------------------------------------------

/// Never throws: invalid UTF-8 is replaced.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

const char* type_name_of(const json& j) {
  return j.type_name();
}

/// The required string member `key` of `obj`.
std::string string_member(const json& obj,
                          const char* key,
                          const std::string& where) {
  auto i = obj.find(key);
  if (i == obj.end())
    fail(errc::rejected, where + ": missing required string '" + key + "'");
  if (!i->is_string())
    fail(errc::rejected,
         where + ": '" + key + "' must be a string, got " + type_name_of(*i));
  return i->get<std::string>();
}

/// The optional object member `key` of `obj` (an empty object when absent).
json object_member(const json& obj, const char* key, const std::string& where) {
  auto i = obj.find(key);
  if (i == obj.end() || i->is_null()) return json::object();
  if (!i->is_object())
    fail(errc::rejected,
         where + ": '" + key + "' must be an object, got " + type_name_of(*i));
  return *i;
}

json text_item(std::string text) {
  return { { "type", "text" }, { "text", std::move(text) } };
}

json image_item() {
  return { { "type", "image" },
           { "data", image_png },
           { "mimeType", "image/png" } };
}

json resource_item(std::string uri, std::string mime, std::string text) {
  return { { "type", "resource" },
           { "resource",
             { { "uri", std::move(uri) },
               { "mimeType", std::move(mime) },
               { "text", std::move(text) } } } };
}

wire::buffer result_of(json content, bool is_error = false) {
  json r;
  r["content"] = std::move(content);
  if (is_error) r["isError"] = true;
  return runtime::call::make_reply(dump(r));
}

wire::buffer text_result(std::string text, bool is_error = false) {
  json content = json::array();
  content.push_back(text_item(std::move(text)));
  return result_of(std::move(content), is_error);
}

wire::buffer json_reply(const json& j) {
  return runtime::call::make_reply(dump(j));
}

/// The id of `test://template/{id}/data`, or "" when `uri` is no instance.
std::string template_id(std::string_view uri) {
  if (uri.size() <= template_head.size() + template_tail.size()) return {};
  if (uri.substr(0, template_head.size()) != template_head) return {};
  if (uri.substr(uri.size() - template_tail.size()) != template_tail) return {};
  auto id =
    uri.substr(template_head.size(),
               uri.size() - template_head.size() - template_tail.size());
  if (id.find('/') != std::string_view::npos) return {};
  return std::string{ id };
}

bool is_resource(std::string_view uri) {
  return uri == static_text_uri || uri == static_binary_uri ||
         uri == watched_uri || !template_id(uri).empty();
}

// -- the descriptor
// ---------------------------------------------------------------

json no_args() {
  return { { "type", "object" }, { "properties", json::object() } };
}

json one_string_arg(const char* name, const char* description) {
  json s = no_args();
  s["properties"][name] = { { "type", "string" },
                            { "description", description } };
  s["required"] = json::array({ name });
  return s;
}

json tool(const char* name, const char* description, json schema = no_args()) {
  return { { "name", name },
           { "description", description },
           { "inputSchema", std::move(schema) } };
}

json slow_tool_schema() {
  json s = no_args();
  s["properties"]["ms"] = { { "type", "integer" },
                            { "minimum", 0 },
                            { "maximum", slow_max_ms },
                            { "description",
                              "How long to sleep, in milliseconds" } };
  s["required"] = json::array({ "ms" });
  return s;
}

json prompt_arg(const char* name, const char* description) {
  return { { "name", name },
           { "description", description },
           { "required", true } };
}

std::string make_descriptor(const std::string& domain) {
  json d;
  d["service"] = service_name;
  d["domain"] = domain;
  d["prefix"] = "";
  json tools = json::array();
  tools.push_back(
    tool("test_simple_text", "Tests simple text content response"));
  tools.push_back(tool("test_image_content", "Tests image content response"));
  tools.push_back(tool("test_audio_content", "Tests audio content response"));
  tools.push_back(
    tool("test_embedded_resource", "Tests embedded resource content response"));
  tools.push_back(
    tool("test_multiple_content_types",
         "Tests response with multiple content types (text, image, resource)"));
  tools.push_back(tool("test_tool_with_logging",
                       "Tests tool that emits log messages during execution"));
  tools.push_back(tool("test_error_handling", "Tests error response handling"));
  tools.push_back(tool("test_tool_with_progress",
                       "Tests tool that reports progress notifications"));
  tools.push_back(
    tool("test_sampling",
         "Tests server-initiated sampling (LLM completion request)",
         one_string_arg("prompt", "The prompt to send to the LLM")));
  tools.push_back(
    tool("test_elicitation",
         "Tests server-initiated elicitation (user input request)",
         one_string_arg("message", "The message to show the user")));
  tools.push_back(tool("test_elicitation_sep1034_defaults",
                       "Tests elicitation with default values per SEP-1034"));
  tools.push_back(
    tool("test_elicitation_sep1330_enums",
         "Tests elicitation with enum schema improvements per SEP-1330"));
  tools.push_back(tool(
    "json_schema_2020_12_tool",
    "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
    json::parse(json_schema_2020_12)));
  tools.push_back(
    tool("test_reconnection",
         "Tests SSE stream disconnection and client reconnection (SEP-1699): "
         "answers after about 100 ms, so that the stream can close mid-call "
         "and the result arrive after the client reconnects"));
  tools.push_back(
    tool("test_slow_tool",
         "Sleeps for `ms` milliseconds, reporting progress every 100 ms when "
         "the call has a progress token, then returns \"slept N ms\"; "
         "cancellable",
         slow_tool_schema()));

  json resources = json::array();
  resources.push_back({ { "uri", static_text_uri },
                        { "name", "static-text" },
                        { "title", "Static Text Resource" },
                        { "description", "A static text resource for testing" },
                        { "mimeType", "text/plain" } });
  resources.push_back(
    { { "uri", static_binary_uri },
      { "name", "static-binary" },
      { "title", "Static Binary Resource" },
      { "description", "A static binary resource (image) for testing" },
      { "mimeType", "image/png" } });
  resources.push_back(
    { { "uri", watched_uri },
      { "name", "watched-resource" },
      { "title", "Watched Resource" },
      { "description",
        "A resource that reports an update about 100 ms after each subscribe" },
      { "mimeType", "text/plain" } });
  json templates = json::array(
    { { { "uriTemplate", template_uri },
        { "name", "template" },
        { "title", "Resource Template" },
        { "description", "A resource template with parameter substitution" },
        { "mimeType", "application/json" } } });

  json prompts = json::array();
  prompts.push_back({ { "name", "test_simple_prompt" },
                      { "title", "Simple Test Prompt" },
                      { "description", "A simple prompt without arguments" } });
  prompts.push_back(
    { { "name", "test_prompt_with_arguments" },
      { "title", "Prompt With Arguments" },
      { "description", "A prompt with required arguments" },
      { "arguments",
        json::array({ prompt_arg("arg1", "First test argument"),
                      prompt_arg("arg2", "Second test argument") }) } });
  prompts.push_back(
    { { "name", "test_prompt_with_embedded_resource" },
      { "title", "Prompt With Embedded Resource" },
      { "description", "A prompt that includes an embedded resource" },
      { "arguments",
        json::array(
          { prompt_arg("resourceUri", "URI of the resource to embed") }) } });
  prompts.push_back(
    { { "name", "test_prompt_with_image" },
      { "title", "Prompt With Image" },
      { "description", "A prompt that includes image content" } });
  d["tools"] = std::move(tools);
  d["resources"] = std::move(resources);
  d["resourceTemplates"] = std::move(templates);
  d["prompts"] = std::move(prompts);
  return dump(d);
}

// -- the actor
// ---------------------------------------------------------------------

enum class job_kind : uint8_t {
  logging,
  progress,
  reconnection,
  slow,
  sampling,
  elicitation,
  elicitation_form,
};

/// A call whose reply comes later: a timed tool or one waiting for an ask.
struct job {
  job_kind kind = job_kind::logging;
  /// The envelope's trace id, which `(cancel, call_id)` names.
  std::string call_id;
  reply_promise rp;
  caf::actor channel;
  /// The request's `_meta.progressToken`; null when it had none.
  json progress_token;
  int step = 0;
  int64_t total_ms = 0;
  int64_t elapsed_ms = 0;
};

struct fixtures_state {
  fixtures_state() {
    // A user-declared constructor: C++20 would aggregate-initialise it.
  }

  std::string descriptor;
  std::map<uint64_t, job> jobs;
  uint64_t next_job = 0;
  /// Channels given by `resources/subscribe`, per URI.
  std::map<std::string, std::vector<caf::actor>> subscribers;
  std::shared_ptr<spdlog::logger> log;

  static inline const char* name = "sophia.conformance";
};

using self_ptr = caf::stateful_actor<fixtures_state>*;

/// Sends a whole JSON-RPC notification to `channel`, if there is one.
void notify(self_ptr self,
            const caf::actor& channel,
            const std::string& call_id,
            const std::string& method,
            json params) {
  if (!channel) return;
  json n = { { "jsonrpc", "2.0" },
             { "method", method },
             { "params", std::move(params) } };
  self->send(channel, mcp::notify::value, call_id, dump(n));
}

void log_message(self_ptr self, const job& j, const char* text) {
  notify(self,
         j.channel,
         j.call_id,
         "notifications/message",
         { { "level", "info" }, { "data", text } });
}

void progress(self_ptr self,
              const job& j,
              int64_t done,
              int64_t total,
              std::string message) {
  if (j.progress_token.is_null()) return;
  notify(self,
         j.channel,
         j.call_id,
         "notifications/progress",
         { { "progressToken", j.progress_token },
           { "progress", done },
           { "total", total },
           { "message", std::move(message) } });
}

/// Registers a job for the current request and returns its id.
uint64_t start_job(self_ptr self,
                   job_kind kind,
                   const wire::call_envelope& env,
                   const caf::actor& channel,
                   json token = nullptr) {
  job j;
  j.kind = kind;
  j.call_id = env.trace_id;
  j.rp = self->make_response_promise<wire::buffer>();
  j.channel = channel;
  j.progress_token = std::move(token);
  auto id = ++self->state.next_job;
  self->state.jobs.emplace(id, std::move(j));
  return id;
}

/// Delivers the reply of job `id` and forgets it.
void finish(self_ptr self, uint64_t id, wire::buffer reply) {
  auto i = self->state.jobs.find(id);
  if (i == self->state.jobs.end()) return;
  i->second.rp.deliver(std::move(reply));
  self->state.jobs.erase(i);
}

std::string describe_token(const json& token) {
  return token.is_string() ? token.get<std::string>() : dump(token);
}

/// Moves a timed job one step on (its timer fired).
void step(self_ptr self, uint64_t id) {
  auto i = self->state.jobs.find(id);
  if (i == self->state.jobs.end()) return; // cancelled: the timer is stale
  auto& j = i->second;
  ++j.step;
  switch (j.kind) {
    case job_kind::logging:
      if (j.step == 1) {
        log_message(self, j, "Tool processing data");
        self->delayed_send(self, log_gap, job_step::value, id);
      } else {
        log_message(self, j, "Tool execution completed");
        finish(
          self, id, text_result("Tool with logging executed successfully"));
      }
      return;
    case job_kind::progress: {
      int64_t done = 50 * j.step;
      progress(self,
               j,
               done,
               100,
               "Completed step " + std::to_string(done) + " of 100");
      if (done < 100) {
        self->delayed_send(self, progress_gap, job_step::value, id);
      } else {
        auto text =
          j.progress_token.is_null()
            ? std::string{ "Tool with progress executed successfully" }
            : describe_token(j.progress_token);
        finish(self, id, text_result(std::move(text)));
      }
      return;
    }
    case job_kind::reconnection:
      finish(self,
             id,
             text_result("Reconnection test completed successfully. If you "
                         "received this, the client properly reconnected "
                         "after stream closure."));
      return;
    case job_kind::slow: {
      j.elapsed_ms +=
        std::min<int64_t>(slow_tick.count(), j.total_ms - j.elapsed_ms);
      if (j.elapsed_ms >= j.total_ms) {
        finish(
          self, id, text_result("slept " + std::to_string(j.total_ms) + " ms"));
        return;
      }
      progress(self,
               j,
               j.elapsed_ms,
               j.total_ms,
               "slept " + std::to_string(j.elapsed_ms) + " of " +
                 std::to_string(j.total_ms) + " ms");
      auto next =
        std::min<int64_t>(slow_tick.count(), j.total_ms - j.elapsed_ms);
      self->delayed_send(
        self, std::chrono::milliseconds{ next }, job_step::value, id);
      return;
    }
    default: return; // asks have no timer
  }
}

/// The tool result of an ask's answer (the client's `result`).
wire::buffer answer_result(job_kind kind, const std::string& answer) {
  auto r = json::parse(answer);
  if (!r.is_object())
    throw failure{ errc::rejected,
                   std::string{ "the client's answer is a " } + r.type_name() +
                     ", not an object" };
  if (kind == job_kind::sampling) {
    std::string text = "No response";
    auto pick = [](const json& c) -> const json* {
      if (c.is_object() && c.contains("text") && c["text"].is_string())
        return &c["text"];
      if (c.is_array())
        for (auto& x : c)
          if (x.is_object() && x.value("type", "") == "text" &&
              x.contains("text") && x["text"].is_string())
            return &x["text"];
      return nullptr;
    };
    const json* t = nullptr;
    if (r.contains("content")) t = pick(r["content"]);
    if (!t && r.contains("message") && r["message"].is_object() &&
        r["message"].contains("content"))
      t = pick(r["message"]["content"]);
    if (t && !t->get_ref<const std::string&>().empty())
      text = t->get<std::string>();
    return text_result("LLM response: " + text);
  }
  auto action = r.contains("action") && r["action"].is_string()
                  ? r["action"].get<std::string>()
                  : std::string{ "unknown" };
  auto content = r.contains("content") && !r["content"].is_null()
                   ? r["content"]
                   : json::object();
  auto head = kind == job_kind::elicitation ? "User response: "
                                            : "Elicitation completed: ";
  return text_result(head + std::string{ "action=" } + action +
                     ", content=" + dump(content));
}

const char* ask_name(job_kind kind) {
  return kind == job_kind::sampling ? "Sampling" : "Elicitation";
}

/// Asks the client through `channel` and replies when it answers.
caf::result<wire::buffer> ask(self_ptr self,
                              job_kind kind,
                              const wire::call_envelope& env,
                              const caf::actor& channel,
                              const std::string& method,
                              json params) {
  if (!channel)
    return text_result(std::string{ ask_name(kind) } +
                         " not supported or error: this call has no channel "
                         "to the client",
                       true);
  json request = { { "method", method }, { "params", std::move(params) } };
  auto id = start_job(self, kind, env, channel);
  auto rp = self->state.jobs[id].rp;
  self
    ->request(
      channel, ask_timeout, mcp::ask::value, env.trace_id, dump(request))
    .then(
      [self, id, kind](std::string& answer) {
        if (!self->state.jobs.count(id)) return; // cancelled meanwhile
        wire::buffer reply;
        try {
          reply = answer_result(kind, answer);
        } catch (const failure& f) {
          reply = text_result(std::string{ ask_name(kind) } +
                                " not supported or error: " + f.what,
                              true);
        } catch (const std::exception& e) {
          reply =
            text_result(std::string{ ask_name(kind) } +
                          " not supported or error: bad answer: " + e.what(),
                        true);
        }
        finish(self, id, std::move(reply));
      },
      [self, id, kind](caf::error& err) {
        if (!self->state.jobs.count(id)) return;
        finish(self,
               id,
               text_result(
                 std::string{ ask_name(kind) } +
                   " not supported or error: " + self->system().render(err),
                 true));
      });
  return rp;
}

// -- methods
// -----------------------------------------------------------------------

caf::result<wire::buffer> call_tool(self_ptr self,
                                    const wire::call_envelope& env,
                                    const json& params,
                                    const caf::actor& channel) {
  auto name = string_member(params, "name", "tools/call");
  auto args = object_member(params, "arguments", name);
  auto meta = object_member(params, "_meta", name);
  json token = meta.contains("progressToken") ? meta["progressToken"] : json{};
  if (name == "test_simple_text")
    return text_result("This is a simple text response for testing.");
  if (name == "test_image_content")
    return result_of(json::array({ image_item() }));
  if (name == "test_audio_content")
    return result_of(json::array({ { { "type", "audio" },
                                     { "data", audio_wav },
                                     { "mimeType", "audio/wav" } } }));
  if (name == "test_embedded_resource")
    return result_of(
      json::array({ resource_item("test://embedded-resource",
                                  "text/plain",
                                  "This is an embedded resource content.") }));
  if (name == "test_multiple_content_types")
    return result_of(json::array(
      { text_item("Multiple content types test:"),
        image_item(),
        resource_item("test://mixed-content-resource",
                      "application/json",
                      dump({ { "test", "data" }, { "value", 123 } })) }));
  if (name == "test_error_handling")
    return text_result("This tool intentionally returns an error for testing",
                       true);
  if (name == "test_tool_with_logging") {
    auto id = start_job(self, job_kind::logging, env, channel);
    auto& j = self->state.jobs[id];
    log_message(self, j, "Tool execution started");
    self->delayed_send(self, log_gap, job_step::value, id);
    return j.rp;
  }
  if (name == "test_tool_with_progress") {
    auto id = start_job(self, job_kind::progress, env, channel, token);
    auto& j = self->state.jobs[id];
    progress(self, j, 0, 100, "Completed step 0 of 100");
    self->delayed_send(self, progress_gap, job_step::value, id);
    return j.rp;
  }
  if (name == "test_reconnection") {
    auto id = start_job(self, job_kind::reconnection, env, channel);
    self->delayed_send(self, reconnect_delay, job_step::value, id);
    return self->state.jobs[id].rp;
  }
  if (name == "test_slow_tool") {
    auto i = args.find("ms");
    if (i == args.end())
      fail(errc::rejected, "test_slow_tool: missing required integer 'ms'");
    if (!i->is_number_integer())
      fail(errc::rejected,
           std::string{ "test_slow_tool: 'ms' must be an integer, got " } +
             type_name_of(*i));
    auto ms = i->get<int64_t>();
    if (ms < 0 || ms > slow_max_ms)
      fail(errc::rejected,
           "test_slow_tool: 'ms' must be within 0.." +
             std::to_string(slow_max_ms) + ", got " + std::to_string(ms));
    if (ms == 0) return text_result("slept 0 ms");
    auto id = start_job(self, job_kind::slow, env, channel, token);
    auto& j = self->state.jobs[id];
    j.total_ms = ms;
    self->delayed_send(
      self,
      std::chrono::milliseconds{ std::min<int64_t>(slow_tick.count(), ms) },
      job_step::value,
      id);
    return j.rp;
  }
  if (name == "test_sampling") {
    auto prompt = string_member(args, "prompt", name);
    json message = { { "role", "user" }, { "content", text_item(prompt) } };
    return ask(
      self,
      job_kind::sampling,
      env,
      channel,
      "sampling/createMessage",
      { { "messages", json::array({ message }) }, { "maxTokens", 100 } });
  }
  if (name == "test_elicitation") {
    auto message = string_member(args, "message", name);
    return ask(self,
               job_kind::elicitation,
               env,
               channel,
               "elicitation/create",
               { { "mode", "form" },
                 { "message", message },
                 { "requestedSchema", json::parse(elicitation_schema) } });
  }
  if (name == "test_elicitation_sep1034_defaults")
    return ask(
      self,
      job_kind::elicitation_form,
      env,
      channel,
      "elicitation/create",
      { { "mode", "form" },
        { "message", "Please review and update the form fields with defaults" },
        { "requestedSchema", json::parse(sep1034_schema) } });
  if (name == "test_elicitation_sep1330_enums")
    return ask(self,
               job_kind::elicitation_form,
               env,
               channel,
               "elicitation/create",
               { { "mode", "form" },
                 { "message", "Please select options from the enum fields" },
                 { "requestedSchema", json::parse(sep1330_schema) } });
  if (name == "json_schema_2020_12_tool") {
    for (auto& [key, value] : args.items())
      if (key != "name" && key != "address")
        fail(errc::rejected,
             "json_schema_2020_12_tool: unexpected argument '" + key +
               "' (additionalProperties is false)");
    return text_result("JSON Schema 2020-12 tool called with: " + dump(args));
  }
  fail(errc::not_found, "conformance has no tool '" + name + "'");
}

wire::buffer read_resource(const json& params) {
  auto uri = string_member(params, "uri", "resources/read");
  json item = { { "uri", uri } };
  if (uri == static_text_uri) {
    item["mimeType"] = "text/plain";
    item["text"] = "This is the content of the static text resource.";
  } else if (uri == static_binary_uri) {
    item["mimeType"] = "image/png";
    item["blob"] = image_png;
  } else if (uri == watched_uri) {
    item["mimeType"] = "text/plain";
    item["text"] = "Watched resource content";
  } else if (auto id = template_id(uri); !id.empty()) {
    item["mimeType"] = "application/json";
    item["text"] = dump({ { "id", id },
                          { "templateTest", true },
                          { "data", "Data for ID: " + id } });
  } else {
    fail(errc::not_found, "resource not found: " + uri);
  }
  return json_reply({ { "contents", json::array({ item }) } });
}

bool has_channel(const fixtures_state& st, const caf::actor& channel) {
  for (auto& [uri, chans] : st.subscribers)
    if (std::find(chans.begin(), chans.end(), channel) != chans.end())
      return true;
  return false;
}

wire::buffer subscribe(self_ptr self,
                       const json& params,
                       const caf::actor& channel) {
  auto uri = string_member(params, "uri", "resources/subscribe");
  if (!is_resource(uri)) fail(errc::not_found, "resource not found: " + uri);
  if (channel) {
    auto& chans = self->state.subscribers[uri];
    if (std::find(chans.begin(), chans.end(), channel) == chans.end()) {
      if (!has_channel(self->state, channel)) self->monitor(channel);
      chans.push_back(channel);
    }
    if (uri == watched_uri)
      self->delayed_send(self, update_delay, res_update::value, uri, channel);
  }
  return runtime::call::make_reply("{}");
}

wire::buffer unsubscribe(self_ptr self,
                         const json& params,
                         const caf::actor& channel) {
  auto uri = string_member(params, "uri", "resources/unsubscribe");
  auto& subs = self->state.subscribers;
  auto i = subs.find(uri);
  if (channel && i != subs.end()) {
    auto& chans = i->second;
    chans.erase(std::remove(chans.begin(), chans.end(), channel), chans.end());
    if (chans.empty()) subs.erase(i);
    if (!has_channel(self->state, channel)) self->demonitor(channel);
  }
  return runtime::call::make_reply("{}");
}

/// The string arguments of a prompt (`arguments` is a map of strings).
std::string prompt_argument(const json& args,
                            const char* key,
                            const std::string& prompt) {
  return string_member(args, key, prompt);
}

wire::buffer get_prompt(const json& params) {
  auto name = string_member(params, "name", "prompts/get");
  auto args = object_member(params, "arguments", name);
  auto user = [](json content) {
    return json{ { "role", "user" }, { "content", std::move(content) } };
  };
  std::string description;
  json messages = json::array();
  if (name == "test_simple_prompt") {
    description = "A simple prompt without arguments";
    messages.push_back(user(text_item("This is a simple prompt for testing.")));
  } else if (name == "test_prompt_with_arguments") {
    auto arg1 = prompt_argument(args, "arg1", name);
    auto arg2 = prompt_argument(args, "arg2", name);
    description = "A prompt with required arguments";
    messages.push_back(user(text_item("Prompt with arguments: arg1='" + arg1 +
                                      "', arg2='" + arg2 + "'")));
  } else if (name == "test_prompt_with_embedded_resource") {
    auto uri = prompt_argument(args, "resourceUri", name);
    description = "A prompt that includes an embedded resource";
    messages.push_back(user(resource_item(
      uri, "text/plain", "Embedded resource content for testing.")));
    messages.push_back(
      user(text_item("Please process the embedded resource above.")));
  } else if (name == "test_prompt_with_image") {
    description = "A prompt that includes image content";
    messages.push_back(user(image_item()));
    messages.push_back(user(text_item("Please analyze the image above.")));
  } else {
    fail(errc::not_found, "conformance has no prompt '" + name + "'");
  }
  json out;
  out["description"] = description;
  out["messages"] = std::move(messages);
  return json_reply(out);
}

bool is_prompt(const std::string& name) {
  return name == "test_simple_prompt" || name == "test_prompt_with_arguments" ||
         name == "test_prompt_with_embedded_resource" ||
         name == "test_prompt_with_image";
}

wire::buffer complete(const json& params) {
  const std::string where = "completion/complete";
  auto ref = params.find("ref");
  if (ref == params.end() || !ref->is_object())
    fail(errc::rejected, where + ": missing required object 'ref'");
  auto type = string_member(*ref, "type", where + " ref");
  auto arg = params.find("argument");
  if (arg == params.end() || !arg->is_object())
    fail(errc::rejected, where + ": missing required object 'argument'");
  auto arg_name = string_member(*arg, "name", where + " argument");
  auto value = string_member(*arg, "value", where + " argument");
  const std::vector<std::string>* candidates = nullptr;
  if (type == "ref/prompt") {
    auto name = string_member(*ref, "name", where + " ref");
    if (!is_prompt(name))
      fail(errc::not_found, "conformance has no prompt '" + name + "'");
    if (name == "test_prompt_with_arguments" &&
        (arg_name == "arg1" || arg_name == "arg2"))
      candidates = &city_candidates;
  } else if (type == "ref/resource") {
    auto uri = string_member(*ref, "uri", where + " ref");
    if (uri == template_uri) {
      if (arg_name == "id") candidates = &id_candidates;
    } else if (!is_resource(uri)) {
      fail(errc::not_found, "resource not found: " + uri);
    }
  } else {
    fail(errc::rejected,
         where + ": unknown ref type '" + type +
           "' (ref/prompt, ref/resource)");
  }
  json values = json::array();
  if (candidates)
    for (auto& c : *candidates)
      if (c.compare(0, value.size(), value) == 0) values.push_back(c);
  auto total = values.size();
  return json_reply({ { "completion",
                        { { "values", std::move(values) },
                          { "total", total },
                          { "hasMore", false } } } });
}

caf::result<wire::buffer> dispatch(self_ptr self,
                                   const wire::call_envelope& env,
                                   const caf::actor& channel) {
  json params;
  if (env.payload.empty()) {
    params = json::object();
  } else {
    try {
      params = json::parse(env.payload);
    } catch (const json::parse_error& e) {
      fail(errc::rejected,
           env.method + ": the payload is not JSON: " + e.what());
    }
    if (!params.is_object())
      fail(errc::rejected,
           env.method + ": the payload must be a JSON object, got " +
             params.type_name());
  }
  if (env.method == "tools/call") return call_tool(self, env, params, channel);
  if (env.method == "resources/read") return read_resource(params);
  if (env.method == "prompts/get") return get_prompt(params);
  if (env.method == "completion/complete") return complete(params);
  if (env.method == "resources/subscribe")
    return subscribe(self, params, channel);
  if (env.method == "resources/unsubscribe")
    return unsubscribe(self, params, channel);
  fail(errc::not_found,
       "conformance has no method '" + env.method +
         "' (tools/call, resources/read, prompts/get, completion/complete, "
         "resources/subscribe, resources/unsubscribe)");
}

caf::result<wire::buffer> handle(self_ptr self,
                                 const wire::buffer& buf,
                                 const caf::actor& channel) {
  auto env = wire::decode_call_envelope(buf);
  if (!env) return env.error();
  try {
    return dispatch(self, *env, channel);
  } catch (const failure& f) {
    return make_error(f.code, f.what);
  } catch (const std::exception& e) {
    return make_error(errc::rejected, env->method + ": " + e.what());
  }
}

caf::behavior fixtures_impl(self_ptr self,
                            caf::actor registry,
                            std::string domain) {
  auto& st = self->state;
  st.log = runtime::log::get("conformance");
  st.descriptor = make_descriptor(domain);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& subs = self->state.subscribers;
    for (auto i = subs.begin(); i != subs.end();) {
      auto& chans = i->second;
      chans.erase(std::remove_if(chans.begin(),
                                 chans.end(),
                                 [&](const caf::actor& a) {
                                   return a.address() == dm.source;
                                 }),
                  chans.end());
      i = chans.empty() ? subs.erase(i) : std::next(i);
    }
  });
  if (registry) {
    auto name = mcp::provider_name(service_name);
    self
      ->request(registry,
                caf::infinite,
                caf::put_atom::value,
                name,
                caf::actor_cast<caf::actor>(self))
      .then([](caf::ok_atom) {},
            [self, name](caf::error& err) {
              self->state.log->error(
                "cannot register {}: {}", name, self->system().render(err));
            });
  }
  return {
    [=](mcp::describe) { return self->state.descriptor; },
    [=](atoms::call, const wire::buffer& buf) -> caf::result<wire::buffer> {
      return handle(self, buf, caf::actor{});
    },
    [=](atoms::call, const wire::buffer& buf, const caf::actor& channel)
      -> caf::result<wire::buffer> { return handle(self, buf, channel); },
    [=](mcp::cancel, const std::string& call_id) {
      auto& jobs = self->state.jobs;
      for (auto i = jobs.begin(); i != jobs.end();) {
        if (i->second.call_id == call_id) {
          i->second.rp.deliver(make_error(errc::rejected, "cancelled"));
          i = jobs.erase(i);
        } else {
          ++i;
        }
      }
    },
    [=](job_step, uint64_t id) { step(self, id); },
    [=](res_update, const std::string& uri, const caf::actor& channel) {
      auto i = self->state.subscribers.find(uri);
      if (i == self->state.subscribers.end()) return;
      auto& chans = i->second;
      if (std::find(chans.begin(), chans.end(), channel) == chans.end()) return;
      json n = { { "jsonrpc", "2.0" },
                 { "method", "notifications/resources/updated" },
                 { "params", { { "uri", uri } } } };
      self->send(channel, mcp::notify::value, std::string{}, dump(n));
    },
  };
}

} // namespace

caf::actor spawn_fixtures(caf::actor_system& sys,
                          caf::actor registry,
                          std::string domain) {
  return sys.spawn(fixtures_impl, std::move(registry), std::move(domain));
}

} // namespace sophia::actors::conformance
