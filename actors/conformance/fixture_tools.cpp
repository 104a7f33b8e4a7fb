// The conformance fixtures' tools: fixed content of every kind, logging and
// progress over timed steps, a tool error, sampling and elicitation asks,
// the JSON Schema 2020-12 tool and the slow cancellable tool.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include <caf/all.hpp>

#include "actors/conformance/fixture_parts.hpp"

namespace sophia::actors::conformance::parts {

namespace {

using ms = std::chrono::milliseconds;

constexpr ms log_gap{ 50 };
constexpr ms progress_gap{ 50 };
constexpr ms reconnect_delay{ 100 };
constexpr ms slow_tick{ 100 };

/// A valid WAV file: mono, 16 bit, 8 kHz, 8 silent samples (the reference
/// server's is cut short after its header).
constexpr const char* audio_wav =
  "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAA"
  "AAAAAA";

// -- schemas ------------------------------------------------------------------

constexpr const char* no_args = R"({"type":"object","properties":{}})";

constexpr const char* sampling_args = R"json({
  "type": "object",
  "properties": {
    "prompt": { "type": "string", "description": "The prompt to send to the LLM" }
  },
  "required": ["prompt"]
})json";

constexpr const char* elicitation_args = R"json({
  "type": "object",
  "properties": {
    "message": { "type": "string", "description": "The message to show the user" }
  },
  "required": ["message"]
})json";

constexpr const char* slow_args = R"json({
  "type": "object",
  "properties": {
    "ms": {
      "type": "integer",
      "minimum": 0,
      "maximum": 600000,
      "description": "How long to sleep, in milliseconds"
    }
  },
  "required": ["ms"]
})json";

constexpr const char* json_schema_2020_12 = R"json({
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

constexpr const char* elicitation_schema = R"json({
  "type": "object",
  "properties": {
    "username": { "type": "string", "description": "User's response" },
    "email": { "type": "string", "description": "User's email address" }
  },
  "required": ["username", "email"]
})json";

constexpr const char* sep1034_schema = R"json({
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

constexpr const char* sep1330_schema = R"json({
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

// -- timed steps --------------------------------------------------------------

/// Runs `step` after `first`, and again after each delay it returns, until
/// it answers `c` (or the client cancels).
void start_job(const state_ptr& st,
               const mcp::call_ptr& c,
               ms first,
               tick step) {
  auto id = ++st->next_job;
  st->jobs.emplace(id, job{ c, std::move(step) });
  c->self()->delayed_send(c->self(), first, job_step::value, id);
}

/// The request's `_meta.progressToken`; null when it has none.
json progress_token(const mcp::call_ptr& c) {
  auto meta = c->params().find("_meta");
  if (meta == c->params().end() || !meta->is_object()) return nullptr;
  return meta->value("progressToken", json{});
}

// -- asks ---------------------------------------------------------------------

/// Answers `c` with the text of the client's `result` (from `text_of`), or
/// with a tool error naming `what` (Sampling, Elicitation) when it failed.
mcp::tool_call::answer_handler answer_with(
  const mcp::call_ptr& c,
  std::string what,
  std::function<std::string(const json&)> text_of) {
  return [c, what, text_of](caf::expected<json> r) {
    if (!r)
      return c->fail(what + " not supported or error: " +
                     c->self()->system().render(r.error()));
    c->reply(text_of(*r));
  };
}

/// Whether `c` can ask the client; when not, answers a tool error.
bool can_ask(const mcp::call_ptr& c, const std::string& what) {
  if (c->can_ask()) return true;
  c->fail(what +
          " not supported or error: this call has no channel to the client");
  return false;
}

std::string sampled_text(const json& r) {
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
  std::string text = "No response";
  if (t && !t->get_ref<const std::string&>().empty())
    text = t->get<std::string>();
  return "LLM response: " + text;
}

/// `HEAD action=ACTION, content=CONTENT` of an elicitation's answer.
std::function<std::string(const json&)> elicited_text(std::string head) {
  return [head](const json& r) {
    auto action = r.contains("action") && r["action"].is_string()
                    ? r["action"].get<std::string>()
                    : std::string{ "unknown" };
    auto content = r.contains("content") && !r["content"].is_null()
                     ? r["content"]
                     : json::object();
    return head + "action=" + action + ", content=" + dump(content);
  };
}

/// An elicitation tool without arguments: asks `message` with `schema`.
mcp::handler form_elicitation(const char* message, const char* schema) {
  return [message, schema](const mcp::call_ptr& c) {
    if (!can_ask(c, "Elicitation")) return;
    c->elicit(
      { { "mode", "form" },
        { "message", message },
        { "requestedSchema", json::parse(schema) } },
      answer_with(c, "Elicitation", elicited_text("Elicitation completed: ")));
  };
}

/// A tool that answers `content` at once.
mcp::handler content(json items) {
  return [items](const mcp::call_ptr& c) {
    c->reply_result({ { "content", items } });
  };
}

} // namespace

void add_tools(mcp::service_spec& spec, const state_ptr& st) {
  auto& t = spec.tools;
  t.push_back({ .name = "test_simple_text",
                .description = "Tests simple text content response",
                .input_schema = no_args,
                .run = [](const mcp::call_ptr& c) {
                  c->reply("This is a simple text response for testing.");
                } });
  t.push_back({ .name = "test_image_content",
                .description = "Tests image content response",
                .input_schema = no_args,
                .run = content(json::array({ image_item() })) });
  t.push_back(
    { .name = "test_audio_content",
      .description = "Tests audio content response",
      .input_schema = no_args,
      .run = content(json::array({ { { "type", "audio" },
                                     { "data", audio_wav },
                                     { "mimeType", "audio/wav" } } })) });
  t.push_back({ .name = "test_embedded_resource",
                .description = "Tests embedded resource content response",
                .input_schema = no_args,
                .run = content(json::array({ resource_item(
                  "test://embedded-resource",
                  "text/plain",
                  "This is an embedded resource content.") })) });
  t.push_back(
    { .name = "test_multiple_content_types",
      .description =
        "Tests response with multiple content types (text, image, resource)",
      .input_schema = no_args,
      .run = content(json::array(
        { text_item("Multiple content types test:"),
          image_item(),
          resource_item("test://mixed-content-resource",
                        "application/json",
                        dump({ { "test", "data" }, { "value", 123 } })) })) });
  t.push_back(
    { .name = "test_tool_with_logging",
      .description = "Tests tool that emits log messages during execution",
      .input_schema = no_args,
      .run = [st](const mcp::call_ptr& c) {
        c->log("info", "Tool execution started");
        start_job(st, c, log_gap, [c, n = 0]() mutable -> std::optional<ms> {
          if (++n == 1) {
            c->log("info", "Tool processing data");
            return log_gap;
          }
          c->log("info", "Tool execution completed");
          c->reply("Tool with logging executed successfully");
          return std::nullopt;
        });
      } });
  t.push_back({ .name = "test_error_handling",
                .description = "Tests error response handling",
                .input_schema = no_args,
                .run = [](const mcp::call_ptr& c) {
                  c->fail(
                    "This tool intentionally returns an error for testing");
                } });
  t.push_back(
    { .name = "test_tool_with_progress",
      .description = "Tests tool that reports progress notifications",
      .input_schema = no_args,
      .run = [st](const mcp::call_ptr& c) {
        c->progress(0, 100, "Completed step 0 of 100");
        start_job(
          st, c, progress_gap, [c, n = 0]() mutable -> std::optional<ms> {
            int done = 50 * ++n;
            c->progress(
              done, 100, "Completed step " + std::to_string(done) + " of 100");
            if (done < 100) return progress_gap;
            // The reference server answers with the token it reported to.
            auto token = progress_token(c);
            c->reply(token.is_null()
                       ? std::string{ "Tool with progress executed "
                                      "successfully" }
                     : token.is_string() ? token.get<std::string>()
                                         : dump(token));
            return std::nullopt;
          });
      } });
  t.push_back(
    { .name = "test_sampling",
      .description = "Tests server-initiated sampling (LLM completion request)",
      .input_schema = sampling_args,
      .run = [](const mcp::call_ptr& c) {
        if (!can_ask(c, "Sampling")) return;
        json message = {
          { "role", "user" },
          { "content", text_item(c->arguments()["prompt"].get<std::string>()) }
        };
        c->sample(
          { { "messages", json::array({ message }) }, { "maxTokens", 100 } },
          answer_with(c, "Sampling", sampled_text));
      } });
  t.push_back(
    { .name = "test_elicitation",
      .description = "Tests server-initiated elicitation (user input request)",
      .input_schema = elicitation_args,
      .run = [](const mcp::call_ptr& c) {
        if (!can_ask(c, "Elicitation")) return;
        c->elicit(
          { { "mode", "form" },
            { "message", c->arguments()["message"] },
            { "requestedSchema", json::parse(elicitation_schema) } },
          answer_with(c, "Elicitation", elicited_text("User response: ")));
      } });
  t.push_back(
    { .name = "test_elicitation_sep1034_defaults",
      .description = "Tests elicitation with default values per SEP-1034",
      .input_schema = no_args,
      .run = form_elicitation(
        "Please review and update the form fields with defaults",
        sep1034_schema) });
  t.push_back(
    { .name = "test_elicitation_sep1330_enums",
      .description =
        "Tests elicitation with enum schema improvements per SEP-1330",
      .input_schema = no_args,
      .run = form_elicitation("Please select options from the enum fields",
                              sep1330_schema) });
  // The toolkit validates the arguments first (additionalProperties: false
  // refuses any other key).
  t.push_back({ .name = "json_schema_2020_12_tool",
                .description = "Tool with JSON Schema 2020-12 features for "
                               "conformance testing (SEP-1613)",
                .input_schema = json_schema_2020_12,
                .run = [](const mcp::call_ptr& c) {
                  c->reply("JSON Schema 2020-12 tool called with: " +
                           dump(c->arguments()));
                } });
  t.push_back(
    { .name = "test_reconnection",
      .description =
        "Tests SSE stream disconnection and client reconnection (SEP-1699): "
        "answers after about 100 ms, so that the stream can close mid-call "
        "and the result arrive after the client reconnects",
      .input_schema = no_args,
      .run = [st](const mcp::call_ptr& c) {
        start_job(st, c, reconnect_delay, [c]() -> std::optional<ms> {
          c->reply("Reconnection test completed successfully. If you "
                   "received this, the client properly reconnected after "
                   "stream closure.");
          return std::nullopt;
        });
      } });
  t.push_back(
    { .name = "test_slow_tool",
      .description =
        "Sleeps for `ms` milliseconds, reporting progress every 100 ms when "
        "the call has a progress token, then returns \"slept N ms\"; "
        "cancellable",
      .input_schema = slow_args,
      .run = [st](const mcp::call_ptr& c) {
        // Validated: an integer within 0..600000.
        auto total = c->arguments()["ms"].get<int64_t>();
        if (total == 0) return c->reply("slept 0 ms");
        auto next = [total](int64_t elapsed) {
          return ms{ std::min<int64_t>(slow_tick.count(), total - elapsed) };
        };
        start_job(st,
                  c,
                  next(0),
                  [c, total, next, elapsed = int64_t{ 0 }]() mutable
                  -> std::optional<ms> {
                    elapsed += next(elapsed).count();
                    if (elapsed >= total) {
                      c->reply("slept " + std::to_string(total) + " ms");
                      return std::nullopt;
                    }
                    c->progress(static_cast<double>(elapsed),
                                static_cast<double>(total),
                                "slept " + std::to_string(elapsed) + " of " +
                                  std::to_string(total) + " ms");
                    return next(elapsed);
                  });
      } });
}

caf::message_handler tool_handlers(caf::event_based_actor* self,
                                   const state_ptr& st) {
  return {
    [self, st](job_step, uint64_t id) {
      auto i = st->jobs.find(id);
      if (i == st->jobs.end()) return;
      // A cancelled call is done: its timer stops here.
      auto next = i->second.call->done() ? std::nullopt : i->second.step();
      if (!next || i->second.call->done()) {
        st->jobs.erase(i);
        return;
      }
      self->delayed_send(self, *next, job_step::value, id);
    },
  };
}

} // namespace sophia::actors::conformance::parts
