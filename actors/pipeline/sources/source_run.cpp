#include "actors/pipeline/sources/source_run.hpp"

#include <fstream>
#include <optional>
#include <sstream>

#include "runtime/config/schema.hpp"
#include "runtime/config/secrets.hpp"
#include "runtime/error.hpp"

namespace sophia::actors::pipeline::sources {

using nlohmann::json;
namespace cfg = runtime::config;

namespace {

std::string prefix(const source_spec& s) {
  return "source " + s.name + ": ";
}

/// Resolves every string of `x` that is a secret reference, in place.
std::optional<std::string> resolve_in(json& x, const std::string& path,
                                      std::vector<std::string>& secrets) {
  if (x.is_object()) {
    for (auto& [k, v] : x.items())
      if (auto err = resolve_in(v, path + "." + k, secrets))
        return err;
  } else if (x.is_array()) {
    for (size_t i = 0; i < x.size(); ++i)
      if (auto err = resolve_in(x[i], path + "[" + std::to_string(i) + "]",
                                secrets))
        return err;
  } else if (x.is_string() && cfg::is_secret_reference(x.get<std::string>())) {
    auto value = cfg::resolve_secret(x.get<std::string>());
    if (!value)
      return path + ": " + runtime::detail_of(value.error());
    secrets.push_back(*value);
    x = *value;
  }
  return std::nullopt;
}

std::string command_text(const std::vector<std::string>& argv) {
  std::string out;
  for (auto& a : argv)
    out += (out.empty() ? "" : " ") + a;
  return out;
}

/// Runs `verb` with the config file, keeping the messages of `type`.
struct verb_result {
  run_result run;
  std::vector<json> messages;
  /// The message of the last TRACE ERROR, if any.
  std::string trace_error;
};

std::string trace_error_of(const json& msg) {
  if (msg.value("type", "") != "TRACE")
    return {};
  auto& t = msg["trace"];
  if (!t.is_object() || t.value("type", "") != "ERROR" || !t["error"].is_object())
    return {};
  return t["error"].value("message", "");
}

std::variant<verb_result, std::string>
run_verb(const source_spec& s, const std::string& verb,
         const std::string& type, const std::vector<std::string>& secrets,
         const json& config) {
  auto file = temp_file::create(s.name + "-config", config.dump());
  if (auto* err = std::get_if<std::string>(&file))
    return prefix(s) + *err;
  run_options opts;
  opts.argv = s.command;
  opts.argv.insert(opts.argv.end(),
                   {verb, "--config", std::get<temp_file>(file).path()});
  opts.timeout = std::chrono::seconds{s.timeout_s};
  verb_result out;
  auto r = run_command(opts, [&](std::string_view line) {
    auto msg = json::parse(line, nullptr, false);
    if (!msg.is_object())
      return true; // sources print other things too
    if (msg.value("type", "") == type)
      out.messages.push_back(std::move(msg));
    else if (auto e = trace_error_of(msg); !e.empty())
      out.trace_error = std::move(e);
    return true;
  });
  if (auto* err = std::get_if<std::string>(&r))
    return prefix(s) + cfg::redact(*err, secrets);
  out.run = std::move(std::get<run_result>(r));
  if (!out.run.ok())
    return failure_text(s, verb, out.run, secrets, out.trace_error);
  if (out.messages.empty())
    return prefix(s) + "`" + verb + "` printed no " + type + " message"
           + (out.trace_error.empty() ? "" : " (error: " + out.trace_error + ")")
           + (out.run.stderr_tail.empty()
                ? ""
                : "; stderr: " + cfg::redact(out.run.stderr_tail, secrets));
  return out;
}

} // namespace

std::variant<resolved_config, std::string> resolve_config(const source_spec& s) {
  resolved_config out;
  out.config = json::parse(s.config_json, nullptr, false);
  if (!out.config.is_object())
    return prefix(s) + "config is not a JSON object";
  if (auto err = resolve_in(out.config, "config", out.secrets))
    return prefix(s) + *err;
  return out;
}

std::variant<std::string, std::string> read_catalog(const source_spec& s) {
  std::ifstream in{s.catalog, std::ios::binary};
  if (!in)
    return std::variant<std::string, std::string>{
      std::in_place_index<1>, prefix(s) + "cannot read its catalog " + s.catalog};
  std::ostringstream text;
  text << in.rdbuf();
  return std::variant<std::string, std::string>{std::in_place_index<0>,
                                                text.str()};
}

std::variant<json, std::string> check(const source_spec& s) {
  auto c = resolve_config(s);
  if (auto* err = std::get_if<std::string>(&c))
    return *err;
  auto& rc = std::get<resolved_config>(c);
  auto r = run_verb(s, "check", "CONNECTION_STATUS", rc.secrets, rc.config);
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& msg = std::get<verb_result>(r).messages.back();
  auto status = msg.value("connectionStatus", json::object());
  if (!status.is_object() || !status.contains("status"))
    return prefix(s) + "its CONNECTION_STATUS has no connectionStatus.status";
  if (status.contains("message") && status["message"].is_string())
    status["message"] = cfg::redact(status["message"].get<std::string>(),
                                    rc.secrets);
  return status;
}

std::variant<json, std::string> discover(const source_spec& s) {
  auto c = resolve_config(s);
  if (auto* err = std::get_if<std::string>(&c))
    return *err;
  auto& rc = std::get<resolved_config>(c);
  auto r = run_verb(s, "discover", "CATALOG", rc.secrets, rc.config);
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& msg = std::get<verb_result>(r).messages.back();
  if (!msg.contains("catalog") || !msg["catalog"].is_object())
    return prefix(s) + "its CATALOG message has no catalog object";
  return msg["catalog"];
}

std::variant<read_outcome, std::string>
read(const source_spec& s, const std::string& catalog_text, const json& state,
     const line_handler& on_line, size_t max_line_bytes) {
  auto c = resolve_config(s);
  if (auto* err = std::get_if<std::string>(&c))
    return *err;
  auto& rc = std::get<resolved_config>(c);
  auto config = temp_file::create(s.name + "-config", rc.config.dump());
  if (auto* err = std::get_if<std::string>(&config))
    return prefix(s) + *err;
  auto catalog = temp_file::create(s.name + "-catalog", catalog_text);
  if (auto* err = std::get_if<std::string>(&catalog))
    return prefix(s) + *err;
  run_options opts;
  opts.argv = s.command;
  opts.argv.insert(opts.argv.end(),
                   {"read", "--config", std::get<temp_file>(config).path(),
                    "--catalog", std::get<temp_file>(catalog).path()});
  std::optional<temp_file> state_file;
  if (!state.is_null()) {
    auto f = temp_file::create(s.name + "-state", state.dump());
    if (auto* err = std::get_if<std::string>(&f))
      return prefix(s) + *err;
    state_file.emplace(std::move(std::get<temp_file>(f)));
    opts.argv.insert(opts.argv.end(), {"--state", state_file->path()});
  }
  opts.timeout = std::chrono::seconds{s.timeout_s};
  opts.max_line_bytes = max_line_bytes;
  // A TRACE ERROR says why better than an exit status: keep the last.
  std::string trace_error;
  auto r = run_command(opts, [&](std::string_view line) {
    if (line.find("\"TRACE\"") != std::string_view::npos
        && line.find("\"ERROR\"") != std::string_view::npos)
      if (auto e = trace_error_of(json::parse(line, nullptr, false));
          !e.empty())
        trace_error = std::move(e);
    return on_line(line);
  });
  if (auto* err = std::get_if<std::string>(&r))
    return prefix(s) + cfg::redact(*err, rc.secrets);
  read_outcome out;
  out.run = std::move(std::get<run_result>(r));
  if (!out.run.ok() && !out.run.stopped)
    out.error = failure_text(s, "read", out.run, rc.secrets, trace_error);
  return out;
}

std::string failure_text(const source_spec& s, const std::string& verb,
                         const run_result& r,
                         const std::vector<std::string>& secrets,
                         const std::string& trace_error) {
  auto argv = s.command;
  argv.push_back(verb);
  std::string out = prefix(s) + "`" + command_text(argv) + "` ";
  if (r.timed_out)
    out += "ran longer than timeout_s = " + std::to_string(s.timeout_s)
           + " s and was stopped (SIGTERM, and SIGKILL 5 s later if it still ran)";
  else
    out += "failed: " + r.describe();
  if (!trace_error.empty())
    out += "; its error: " + trace_error;
  auto tail = r.stderr_tail;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r'))
    tail.pop_back();
  out += tail.empty() ? "; stderr: (empty)" : "; stderr:\n" + tail;
  return cfg::redact(std::move(out), secrets);
}

} // namespace sophia::actors::pipeline::sources
