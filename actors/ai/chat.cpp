#include "actors/ai/chat.hpp"

namespace sophia::actors::ai {

using nlohmann::json;

std::string chat_input_schema(const json& extra) {
  json props = {
    { "model",
      { { "type", "string" },
        { "minLength", 1 },
        { "description",
          "The provider's model id, e.g. \"openai/gpt-4o-mini\"; list them "
          "with the service's models tool where it has one." } } },
    { "messages",
      { { "type", "array" },
        { "minItems", 1 },
        { "description",
          "The conversation in OpenAI chat format. Give this or prompt." },
        { "items",
          { { "type", "object" },
            { "properties",
              { { "role",
                  { { "type", "string" },
                    { "enum",
                      { "system", "developer", "user", "assistant", "tool" } } } },
                { "content", json::object() } } },
            { "required", { "role", "content" } } } } } },
    { "prompt",
      { { "type", "string" },
        { "description", "A single user message. Give this or messages." } } },
    { "max_tokens",
      { { "type", "integer" },
        { "minimum", 1 },
        { "description", "Upper bound of the completion's tokens." } } },
    { "temperature",
      { { "type", "number" }, { "minimum", 0 }, { "maximum", 2 } } },
    { "top_p", { { "type", "number" }, { "minimum", 0 }, { "maximum", 1 } } },
    { "stop",
      { { "description", "Up to 4 sequences where the completion stops." },
        { "anyOf",
          json::array({ { { "type", "string" } },
                        { { "type", "array" },
                          { "items", { { "type", "string" } } },
                          { "maxItems", 4 } } }) } } },
  };
  for (auto& [k, v] : extra.items()) props[k] = v;
  json schema = { { "type", "object" },
                  { "properties", std::move(props) },
                  { "required", { "model" } },
                  { "additionalProperties", false } };
  return schema.dump();
}

std::string chat_output_schema() {
  json tokens = { { "type", "integer" }, { "minimum", 0 } };
  json number_or_null = { { "type", { "number", "null" } } };
  json schema = {
    { "type", "object" },
    { "properties",
      { { "text", { { "type", "string" } } },
        { "model", { { "type", "string" } } },
        { "provider", { { "type", "string" } } },
        { "finish_reason", { { "type", "string" } } },
        { "usage",
          { { "type", "object" },
            { "properties",
              { { "prompt_tokens", tokens },
                { "completion_tokens", tokens },
                { "total_tokens", tokens } } },
            { "required",
              { "prompt_tokens", "completion_tokens", "total_tokens" } } } },
        { "cost_usd", number_or_null },
        { "latency_ms", { { "type", "number" } } },
        { "first_token_ms", number_or_null } } },
    { "required",
      { "text", "model", "provider", "finish_reason", "usage", "cost_usd",
        "latency_ms", "first_token_ms" } },
  };
  return schema.dump();
}

std::optional<std::string> build_chat_request(const json& args,
                                              bool stream,
                                              json& body) {
  auto has = [&](const char* k) { return args.contains(k); };
  if (has("messages") == has("prompt"))
    return std::string{ has("messages") ? "give either messages or prompt, not both"
                                        : "give messages or prompt" };
  body = json::object();
  for (auto& [k, v] : args.items())
    if (k != "prompt") body[k] = v;
  if (has("prompt"))
    body["messages"] = json::array(
      { { { "role", "user" }, { "content", args["prompt"] } } });
  if (stream) {
    body["stream"] = true;
    // OpenAI-compatible servers send usage in a last chunk only when asked.
    body["stream_options"] = { { "include_usage", true } };
  }
  return std::nullopt;
}

namespace {

int64_t int_at(const json& obj, const char* key) {
  auto i = obj.find(key);
  return i != obj.end() && i->is_number() ? i->get<int64_t>() : 0;
}

std::string string_at(const json& obj, const char* key) {
  auto i = obj.find(key);
  return i != obj.end() && i->is_string() ? i->get<std::string>() : std::string{};
}

void read_usage(const json& body, chat_result& out) {
  auto u = body.find("usage");
  if (u == body.end() || !u->is_object()) return;
  out.prompt_tokens = int_at(*u, "prompt_tokens");
  out.completion_tokens = int_at(*u, "completion_tokens");
  out.total_tokens = int_at(*u, "total_tokens");
  if (out.total_tokens == 0)
    out.total_tokens = out.prompt_tokens + out.completion_tokens;
  auto c = u->find("cost");
  if (c != u->end() && c->is_number()) out.cost_usd = c->get<double>();
}

void read_head(const json& body, chat_result& out) {
  if (auto m = string_at(body, "model"); !m.empty()) out.model = m;
  if (auto p = string_at(body, "provider"); !p.empty()) out.provider = p;
  if (auto id = string_at(body, "id"); !id.empty()) out.id = id;
}

} // namespace

json chat_result::to_json() const {
  return { { "text", text },
           { "model", model },
           { "provider", provider },
           { "finish_reason", finish_reason },
           { "usage",
             { { "prompt_tokens", prompt_tokens },
               { "completion_tokens", completion_tokens },
               { "total_tokens", total_tokens } } },
           { "cost_usd", cost_usd ? json(*cost_usd) : json(nullptr) },
           { "latency_ms", latency_ms },
           { "first_token_ms",
             first_token_ms ? json(*first_token_ms) : json(nullptr) } };
}

std::optional<std::string> parse_chat_response(const json& body,
                                               chat_result& out) {
  if (!body.is_object()) return "the response is not a JSON object";
  auto choices = body.find("choices");
  if (choices == body.end() || !choices->is_array() || choices->empty())
    return "the response has no choices";
  auto& first = (*choices)[0];
  if (!first.is_object()) return "choices[0] is not an object";
  auto msg = first.find("message");
  if (msg == first.end() || !msg->is_object())
    return "choices[0] has no message";
  auto content = msg->find("content");
  if (content != msg->end() && content->is_string())
    out.text = content->get<std::string>();
  out.finish_reason = string_at(first, "finish_reason");
  read_head(body, out);
  read_usage(body, out);
  return std::nullopt;
}

std::string add_chat_chunk(const json& chunk, chat_result& out) {
  if (!chunk.is_object()) return {};
  read_head(chunk, out);
  read_usage(chunk, out);
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty())
    return {};
  auto& first = (*choices)[0];
  if (!first.is_object()) return {};
  if (auto f = string_at(first, "finish_reason"); !f.empty())
    out.finish_reason = f;
  auto delta = first.find("delta");
  if (delta == first.end() || !delta->is_object()) return {};
  auto text = string_at(*delta, "content");
  out.text += text;
  return text;
}

} // namespace sophia::actors::ai
