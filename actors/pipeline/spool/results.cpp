#include "actors/pipeline/spool/results.hpp"

#include "actors/pipeline/analytics/tool_calls_stream.hpp"

namespace sophia::actors::pipeline::spool {

using nlohmann::json;

namespace {

// The first of `names` in `obj` that is an integer.
json integer_of(const json& obj, std::initializer_list<const char*> names) {
  for (auto* n : names)
    if (auto i = obj.find(n); i != obj.end() && i->is_number_integer())
      return *i;
  return nullptr;
}

// A result too large to keep whole: its top-level scalars.
json truncated(const json& sc, size_t bytes) {
  json out = json::object();
  for (auto& [k, v] : sc.items())
    if (v.is_number() || v.is_boolean() || (v.is_string() && v.get_ref<const std::string&>().size() <= 1000))
      out[k] = v;
  out["_truncated"] = true;
  out["_bytes"] = bytes;
  return out;
}

} // namespace

void add_answer(json& rec, const std::string& answer, const result_options& o) {
  if (answer.empty() || !rec.is_object())
    return;
  auto doc = json::parse(answer, nullptr, false);
  if (!doc.is_object())
    return;
  auto r = doc.find("result");
  if (r == doc.end() || !r->is_object())
    return;
  auto sc = r->find("structuredContent");
  if (sc == r->end() || !sc->is_object())
    return;
  if (auto m = sc->find("model"); m != sc->end() && m->is_string())
    rec["model"] = *m;
  if (auto u = sc->find("usage"); u != sc->end() && u->is_object()) {
    if (auto in = integer_of(*u, {"prompt_tokens", "input_tokens"}); !in.is_null())
      rec["tokens_in"] = in;
    if (auto out = integer_of(*u, {"completion_tokens", "output_tokens"});
        !out.is_null())
      rec["tokens_out"] = out;
  }
  if (auto c = sc->find("cost_usd"); c != sc->end() && c->is_number())
    rec["cost_usd"] = *c;
  if (!o.keep || rec.value("service", "") == "pipeline")
    return;
  // The answer holds the result: when the answer fits, so does the
  // result, without serialising it once more only to measure it.
  if (answer.size() <= o.max_bytes) {
    rec["result"] = std::move(*sc);
    return;
  }
  auto text = sc->dump(-1, ' ', false, json::error_handler_t::replace);
  rec["result"] = text.size() <= o.max_bytes ? std::move(*sc)
                                              : truncated(*sc, text.size());
}

std::string results_stream(const std::string& tool) {
  std::string out = tool;
  for (auto& ch : out)
    if (ch == '.')
      ch = '_';
  return out;
}

void record_messages(json data, int64_t emitted_at_ms,
                     std::vector<std::string>& out, json& catalog,
                     std::set<std::string>& streams) {
  json result;
  if (auto r = data.find("result"); r != data.end()) {
    result = std::move(*r);
    data.erase(r);
  }
  if (result.is_object()) {
    auto tool = data.value("tool", std::string{});
    auto stream = results_stream(tool);
    result["_call_id"] = data["id"];
    result["_called_at"] = data.value("at", json());
    result["_tool"] = tool;
    if (!stream.empty()) {
      if (streams.insert(stream).second)
        catalog["streams"].push_back(
          {{"stream",
            {{"name", stream},
             {"namespace", results_namespace},
             {"supported_sync_modes", {"incremental"}}}},
           {"sync_mode", "incremental"},
           {"destination_sync_mode", "append_dedup"},
           {"primary_key", {{"_call_id"}}},
           {"cursor_field", json::array()}});
      out.push_back(json{{"type", "RECORD"},
                         {"record",
                          {{"stream", stream},
                           {"namespace", results_namespace},
                           {"data", std::move(result)},
                           {"emitted_at", emitted_at_ms}}}}
                      .dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
  out.push_back(analytics::record_message(data, emitted_at_ms));
}

} // namespace sophia::actors::pipeline::spool
