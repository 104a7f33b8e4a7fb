#include "runtime/mcp/tool_call.hpp"

#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "runtime/call/call.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/mcp/results.hpp"

namespace sophia::runtime::mcp {

namespace {

std::string dump(const nlohmann::json& j) {
  return dump_json(j);
}

} // namespace

tool_call::tool_call(caf::event_based_actor* self,
                     std::string service,
                     std::string method,
                     std::string name,
                     std::string call_id,
                     json params,
                     caf::actor channel,
                     caf::typed_response_promise<wire::buffer> rp)
  : self_(self),
    service_(std::move(service)),
    method_(std::move(method)),
    name_(std::move(name)),
    call_id_(std::move(call_id)),
    params_(std::move(params)),
    channel_(std::move(channel)),
    rp_(std::move(rp)) {
  // Nothing else: handlers get the call fully formed.
}

tool_call::~tool_call() {
  if (!done_ && rp_.pending())
    rp_.deliver(make_error(errc::call_failed,
                           service_ + ": '" + name_ +
                             "' ended without an answer (a bug in the "
                             "service's handler)"));
}

const nlohmann::json& tool_call::arguments() const {
  static const json none = json::object();
  auto i = params_.find("arguments");
  return i != params_.end() && i->is_object() ? *i : none;
}

void tool_call::deliver(wire::buffer buf) {
  if (done_) return;
  done_ = true;
  if (rp_.pending()) rp_.deliver(std::move(buf));
}

void tool_call::reply(std::string text, json structured) {
  if (done_) return;
  if (!structured.is_null() && output_check_) {
    auto errors = output_check_(structured);
    if (!errors.empty()) {
      std::string what = service_ + ": '" + name_ +
                         "' produced a result that does not match its "
                         "output schema: ";
      for (size_t i = 0; i < errors.size(); ++i)
        what += (i > 0 ? "; " : "") + errors[i];
      fail(std::move(what));
      return;
    }
  }
  deliver(call::make_reply(text_result(std::move(text), structured)));
}

void tool_call::reply_result(json result) {
  if (done_) return;
  deliver(call::make_reply(dump(result)));
}

void tool_call::fail(std::string message) {
  if (done_) return;
  deliver(call::make_reply(error_result(std::move(message))));
}

void tool_call::reject(errc code, std::string message) {
  if (done_) return;
  done_ = true;
  if (rp_.pending()) rp_.deliver(make_error(code, std::move(message)));
}

void tool_call::notify(std::string method, json params) {
  if (!channel_ || done_) return;
  json n = { { "jsonrpc", "2.0" },
             { "method", std::move(method) },
             { "params", std::move(params) } };
  self_->send(channel_, mcp::notify::value, call_id_, dump(n));
}

void tool_call::progress(double done,
                         std::optional<double> total,
                         std::string message) {
  auto meta = params_.find("_meta");
  if (meta == params_.end() || !meta->is_object()) return;
  auto token = meta->find("progressToken");
  if (token == meta->end() || !(token->is_string() || token->is_number()))
    return;
  json p = { { "progressToken", *token }, { "progress", done } };
  if (total) p["total"] = *total;
  if (!message.empty()) p["message"] = std::move(message);
  notify("notifications/progress", std::move(p));
}

void tool_call::log(std::string_view level, std::string message) {
  notify("notifications/message",
         { { "level", std::string{ level } },
           { "logger", service_ },
           { "data", std::move(message) } });
}

void tool_call::ask(std::string method,
                    json params,
                    answer_handler then,
                    std::chrono::milliseconds timeout) {
  if (!channel_) {
    then(make_error(errc::rejected,
                    service_ + ": cannot ask the client (" + method +
                      "): this call came without a client channel"));
    return;
  }
  json body = { { "method", method }, { "params", std::move(params) } };
  auto self = shared_from_this();
  self_
    ->request(channel_,
              caf::duration{ timeout },
              mcp::ask::value,
              call_id_,
              dump(body))
    .then(
      [self, then](const std::string& answer) {
        auto parsed = json::parse(answer, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object()) {
          then(make_error(errc::decode_failed,
                          self->service_ +
                            ": the client's answer is not a JSON object"));
          return;
        }
        then(std::move(parsed));
      },
      [self, then](caf::error& err) { then(std::move(err)); });
}

void tool_call::sample(json params, answer_handler then) {
  ask("sampling/createMessage", std::move(params), std::move(then));
}

void tool_call::elicit(json params, answer_handler then) {
  ask("elicitation/create", std::move(params), std::move(then));
}

void tool_call::on_cancel(std::function<void()> f) {
  if (cancelled_) {
    f();
    return;
  }
  cancel_hooks_.push_back(std::move(f));
}

void tool_call::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  auto hooks = std::move(cancel_hooks_);
  cancel_hooks_.clear();
  for (auto& f : hooks) f();
  reject(errc::cancelled, service_ + ": '" + name_ + "' was cancelled");
}

void tool_call::set_output_check(
  std::function<std::vector<std::string>(const json&)> f) {
  output_check_ = std::move(f);
}

} // namespace sophia::runtime::mcp
