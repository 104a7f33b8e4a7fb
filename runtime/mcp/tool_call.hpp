#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "runtime/wire/buffer.hpp"

namespace sophia::runtime::mcp {

/// One MCP request to a service (a tool call, or a `resources/read`,
/// `prompts/get`, ... to a generic method handler), handed to its handler.
///
/// Handlers run in the service actor and may answer later: keep the
/// `call_ptr`, make requests through `self()`, and answer from their
/// responses. The first answer wins; later ones are ignored, and so is any
/// answer after the client cancelled. Everything here is to be used from
/// the service actor's own handlers only (it is not thread-safe).
class tool_call : public std::enable_shared_from_this<tool_call> {
public:
  using json = nlohmann::json;
  using answer_handler = std::function<void(caf::expected<json>)>;

  tool_call(caf::event_based_actor* self,
            std::string service,
            std::string method,
            std::string name,
            std::string call_id,
            json params,
            caf::actor channel,
            caf::typed_response_promise<wire::buffer> rp);

  /// Answers `call_failed` when a handler dropped the call unanswered.
  ~tool_call();

  tool_call(const tool_call&) = delete;
  tool_call& operator=(const tool_call&) = delete;

  // -- what was asked ---------------------------------------------------------

  /// The service actor, for requests to other actors (HTTP, other services).
  caf::event_based_actor* self() const { return self_; }
  const std::string& service() const { return service_; }
  /// The MCP method: `tools/call`, `resources/read`, ...
  const std::string& method() const { return method_; }
  /// The tool's (or prompt's) name as the service declared it.
  const std::string& name() const { return name_; }
  /// The call's id (the envelope's trace id): names it in logs and groups its
  /// HTTP requests for cancellation.
  const std::string& id() const { return call_id_; }
  /// The tool's arguments (validated against its input schema): `{}` when
  /// the client sent none.
  const json& arguments() const;
  /// The request's whole `params`.
  const json& params() const { return params_; }
  /// Who called, as the envelope names it (the edge: `mcp:KEY/SESSION`,
  /// KEY being the API key's name or `anonymous`).
  const std::string& caller() const { return caller_; }
  void set_caller(std::string x) { caller_ = std::move(x); }

  // -- answers ---------------------------------------------------------------

  /// A tool result: `text` as its text content, plus `structuredContent`
  /// when `structured` is not null (checked against the output schema).
  void reply(std::string text, json structured = nullptr);
  /// A whole result object (`CallToolResult`, `ReadResourceResult`, ...).
  void reply_result(json result);
  /// A tool error (`isError: true`) the model can read: say which service
  /// failed, its own message, and what to do.
  void fail(std::string message);
  /// A protocol-level error (invalid params, unknown resource): the edge
  /// maps it to a JSON-RPC error, or a tool error for `tools/call`.
  void reject(errc code, std::string message);
  /// Whether an answer was given (or the call was cancelled).
  bool done() const { return done_; }

  // -- talking back mid-call -------------------------------------------------

  /// `notifications/progress`, when the client asked for progress (else
  /// nothing is sent).
  void progress(double done,
                std::optional<double> total = std::nullopt,
                std::string message = {});
  /// `notifications/message` at `level` (debug, info, notice, warning,
  /// error, ...), with the service as logger.
  void log(std::string_view level, std::string message);
  /// Asks the client: `sampling/createMessage`, `elicitation/create`, ...
  /// `then` receives the client's `result`, or an error (no client channel,
  /// refused, timed out, cancelled).
  void ask(std::string method,
           json params,
           answer_handler then,
           std::chrono::milliseconds timeout = std::chrono::seconds{ 60 });
  /// `sampling/createMessage` with `params`.
  void sample(json params, answer_handler then);
  /// `elicitation/create` with `params`.
  void elicit(json params, answer_handler then);
  /// Whether the client can be asked (the call came with a channel).
  bool can_ask() const { return static_cast<bool>(channel_); }
  /// The call's client channel (null when it came without one). Keep it for
  /// notifications after the answer, e.g. `notifications/resources/updated`
  /// to a `resources/subscribe` caller: send `(notify, "", json)` to it, and
  /// `self()->monitor` it to forget it when the client goes away.
  const caf::actor& channel() const { return channel_; }

  // -- cancellation ----------------------------------------------------------

  /// Whether the client cancelled the call.
  bool cancelled() const { return cancelled_; }
  /// Runs `f` when the client cancels (at once if it already has): abort
  /// outstanding work there, e.g. the call's HTTP requests.
  void on_cancel(std::function<void()> f);
  /// Called by the service on `(cancel, id)`: answers `cancelled` and runs
  /// the hooks.
  void cancel();

  /// Sets a check of structured results (the tool's output schema).
  void set_output_check(std::function<std::vector<std::string>(const json&)> f);

private:
  void deliver(wire::buffer buf);
  void notify(std::string method, json params);

  caf::event_based_actor* self_;
  std::string service_;
  std::string method_;
  std::string name_;
  std::string call_id_;
  json params_;
  std::string caller_;
  caf::actor channel_;
  caf::typed_response_promise<wire::buffer> rp_;
  std::vector<std::function<void()>> cancel_hooks_;
  std::function<std::vector<std::string>(const json&)> output_check_;
  bool done_ = false;
  bool cancelled_ = false;
};

using call_ptr = std::shared_ptr<tool_call>;

} // namespace sophia::runtime::mcp
