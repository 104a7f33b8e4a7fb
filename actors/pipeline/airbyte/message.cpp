#include "actors/pipeline/airbyte/message.hpp"

#include <algorithm>
#include <array>

#include "actors/pipeline/airbyte/json_fields.hpp"
#include "actors/pipeline/airbyte/simd_reader.hpp"

namespace sophia::actors::pipeline::airbyte {

namespace f = fields;

std::string stream_id::text() const {
  return ns ? *ns + "." + name : name;
}

bool is_blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  });
}

namespace {

using result = std::variant<message, std::string>;

/// nlohmann's message without its "[json.exception.parse_error.101] "
/// prefix: "parse error at line 1, column 5: syntax error ...".
std::string parse_failure(const char* what) {
  std::string text = what;
  if (auto close = text.find("] "); close != std::string::npos
                                    && text.rfind("[json.exception", 0) == 0)
    text.erase(0, close + 2);
  return "not JSON: " + text;
}

std::variant<std::vector<field_change>, std::string>
parse_changes(const nlohmann::json& rec) {
  std::vector<field_change> out;
  auto* meta = f::find(rec, "meta");
  if (meta == nullptr) return out;
  if (!meta->is_object()) return f::expected("/record/meta", "an object", *meta);
  auto* changes = f::find(*meta, "changes");
  if (changes == nullptr) return out;
  if (!changes->is_array())
    return f::expected("/record/meta/changes", "an array", *changes);
  for (size_t i = 0; i < changes->size(); ++i) {
    auto at = "/record/meta/changes/" + std::to_string(i);
    auto& c = (*changes)[i];
    if (!c.is_object()) return f::expected(at, "an object", c);
    std::string err;
    field_change fc;
    for (auto [key, slot] : std::array<std::pair<const char*, std::string*>, 3>{
           { { "field", &fc.field },
             { "change", &fc.change },
             { "reason", &fc.reason } } }) {
      auto v = f::string_field(c, key, at, err);
      if (!v) return err;
      *slot = std::move(*v);
    }
    out.push_back(std::move(fc));
  }
  return out;
}

result parse_record(const nlohmann::json& msg) {
  auto* rec = f::find(msg, "record");
  if (rec == nullptr) return std::string{ "/record: missing" };
  if (!rec->is_object()) return f::expected("/record", "an object", *rec);
  record out;
  std::string err;
  auto name = f::string_field(*rec, "stream", "/record", err);
  if (!name) return err;
  if (name->empty()) return std::string{ "/record/stream: empty" };
  out.stream.name = std::move(*name);
  out.stream.ns = f::optional_string(*rec, "namespace", "/record", err);
  if (!err.empty()) return err;
  auto* data = f::find(*rec, "data");
  if (data == nullptr) return std::string{ "/record/data: missing" };
  if (!data->is_object()) return f::expected("/record/data", "an object", *data);
  auto* at = f::find(*rec, "emitted_at");
  if (at == nullptr) return std::string{ "/record/emitted_at: missing" };
  if (at->is_number_integer())
    out.emitted_at_ms = at->get<int64_t>();
  else
    return f::expected("/record/emitted_at", "an integer (epoch ms)", *at);
  auto changes = parse_changes(*rec);
  if (auto* e = std::get_if<std::string>(&changes)) return *e;
  out.changes = std::move(std::get<std::vector<field_change>>(changes));
  out.data = *data;
  return out;
}

result parse_trace(const nlohmann::json& msg) {
  auto* trace = f::find(msg, "trace");
  if (trace == nullptr) return std::string{ "/trace: missing" };
  if (!trace->is_object()) return f::expected("/trace", "an object", *trace);
  std::string err;
  auto type = f::string_field(*trace, "type", "/trace", err);
  if (!type) return err;
  if (*type != "STREAM_STATUS") return other{ "TRACE", msg };
  auto* st = f::find(*trace, "stream_status");
  if (st == nullptr) return std::string{ "/trace/stream_status: missing" };
  if (!st->is_object())
    return f::expected("/trace/stream_status", "an object", *st);
  stream_status out;
  auto id = f::descriptor(*st, "stream_descriptor", "/trace/stream_status", err);
  if (!id) return err;
  out.stream = std::move(*id);
  auto status = f::string_field(*st, "status", "/trace/stream_status", err);
  if (!status) return err;
  if (*status == "STARTED")
    out.status = stream_status::value::started;
  else if (*status == "RUNNING")
    out.status = stream_status::value::running;
  else if (*status == "COMPLETE")
    out.status = stream_status::value::complete;
  else if (*status == "INCOMPLETE")
    out.status = stream_status::value::incomplete;
  else
    return "/trace/stream_status/status: '" + *status
           + "' is none of STARTED, RUNNING, COMPLETE, INCOMPLETE";
  return out;
}

} // namespace

std::variant<state, std::string> parse_state(const nlohmann::json& doc,
                                             const std::string& at) {
  if (!doc.is_object()) return f::expected(at.empty() ? "/" : at, "an object", doc);
  state out;
  out.raw = doc;
  std::string err;
  auto type = f::optional_string(doc, "type", at, err);
  if (!err.empty()) return err;
  // Without a type the state is LEGACY (`data` only), as the protocol says.
  if (!type || *type == "LEGACY") {
    out.type = state::kind::legacy;
    auto* data = f::find(doc, "data");
    if (data == nullptr) return at + "/data: missing (a LEGACY state)";
  } else if (*type == "STREAM") {
    out.type = state::kind::stream;
    auto* s = f::find(doc, "stream");
    if (s == nullptr) return at + "/stream: missing (a STREAM state)";
    if (!s->is_object()) return f::expected(at + "/stream", "an object", *s);
    auto id = f::descriptor(*s, "stream_descriptor", at + "/stream", err);
    if (!id) return err;
    out.stream = std::move(*id);
  } else if (*type == "GLOBAL") {
    out.type = state::kind::global;
    auto* g = f::find(doc, "global");
    if (g == nullptr) return at + "/global: missing (a GLOBAL state)";
    if (!g->is_object()) return f::expected(at + "/global", "an object", *g);
    auto* list = f::find(*g, "stream_states");
    if (list == nullptr) return at + "/global/stream_states: missing";
    if (!list->is_array())
      return f::expected(at + "/global/stream_states", "an array", *list);
    for (size_t i = 0; i < list->size(); ++i) {
      auto item_at = at + "/global/stream_states/" + std::to_string(i);
      auto id = f::descriptor((*list)[i], "stream_descriptor", item_at, err);
      if (!id) return err;
      out.streams.push_back(std::move(*id));
    }
  } else {
    return at + "/type: '" + *type + "' is none of LEGACY, STREAM, GLOBAL";
  }
  if (auto* stats = f::find(doc, "sourceStats"); stats != nullptr) {
    if (auto* n = f::find(*stats, "recordCount"); n != nullptr && n->is_number())
      out.source_record_count = n->get<double>();
  }
  return out;
}

std::variant<message, std::string> parse_message(std::string_view line,
                                                 size_t max_bytes) {
  if (line.size() > max_bytes)
    return std::to_string(line.size()) + " bytes, over the limit of "
           + std::to_string(max_bytes);
  // Nearly every line is a plain RECORD: read it straight into one.
  if (record r; simd::read_record(line, r))
    return r;
  nlohmann::json msg;
  if (!simd::read_document(line, msg)) {
    try {
      msg = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      return parse_failure(e.what());
    }
  }
  if (!msg.is_object()) return f::expected("/", "an AirbyteMessage object", msg);
  std::string err;
  auto type = f::string_field(msg, "type", "", err);
  if (!type) return err;
  if (*type == "RECORD") return parse_record(msg);
  if (*type == "TRACE") return parse_trace(msg);
  if (*type == "STATE") {
    auto* doc = f::find(msg, "state");
    if (doc == nullptr) return std::string{ "/state: missing" };
    auto st = parse_state(*doc, "/state");
    if (auto* e = std::get_if<std::string>(&st)) return *e;
    return std::get<state>(std::move(st));
  }
  static constexpr std::array<const char*, 6> others{
    "LOG",     "SPEC",    "CONNECTION_STATUS",
    "CATALOG", "CONTROL", "DESTINATION_CATALOG"
  };
  if (std::find(others.begin(), others.end(), *type) != others.end())
    return other{ *type, std::move(msg) };
  return "/type: '" + *type
         + "' is not an AirbyteMessage type (RECORD, STATE, TRACE, LOG, SPEC,"
           " CONNECTION_STATUS, CATALOG, CONTROL, DESTINATION_CATALOG)";
}

} // namespace sophia::actors::pipeline::airbyte
