// The AI role on a reload of cluster.conf: services appear and vanish with
// their tables, and secrets are resolved again (a `file:` secret rewritten
// between reloads is what the restarted provider sends). The role runs under
// its real supervisor; the membership actor is a stand-in that forwards
// `(reload, path)` as the real one does after applying a file.

#include <doctest/doctest.h>

#include "ai_fixture.hpp"
#include "runtime/config/loader.hpp"
#include "runtime/registry/registry_actor.hpp"
#include "runtime/supervision/child_spec.hpp"
#include "runtime/system/atoms.hpp"

#include <filesystem>
#include <fstream>
#include <thread>

using namespace sophia;
using namespace sophia::ai_test;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out{ path, std::ios::trunc };
  out << text;
}

/// A cluster.conf whose node runs the AI role, with `services` appended.
std::string conf_with(const std::string& services) {
  return "[cluster]\nname = \"reload\"\n\n[[node]]\nname = \"n1\"\n"
         "host = \"127.0.0.1\"\nport = 1\nroles = [\"ai_intelligence\"]\n\n" +
         services;
}

std::string service_table(const std::string& name,
                          const std::string& key,
                          const std::string& base_url,
                          const std::string& extra = "") {
  return "[services." + name + "]\napi_key = \"" + key + "\"\nbase_url = \"" +
         base_url + "\"\nbackoff_ms = 20\n" + extra + "\n";
}

/// The names the registry holds, without their `@node`.
std::set<std::string> registered(caf::actor_system& sys,
                                 const caf::actor& reg) {
  caf::scoped_actor self{ sys };
  std::set<std::string> out;
  self->request(reg, 5s, caf::get_atom::value, runtime::atoms::all::value)
    .receive(
      [&](const std::vector<std::string>& names) {
        for (auto& n : names)
          out.insert(n.substr(0, n.find('@')));
      },
      [](caf::error&) {});
  return out;
}

/// Waits until `pred(registered names)` holds; false after 20 s.
template <class Pred>
bool wait_for(caf::actor_system& sys, const caf::actor& reg, Pred pred) {
  for (int i = 0; i < 400; ++i) {
    if (pred(registered(sys, reg))) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

caf::actor lookup(caf::actor_system& sys,
                  const caf::actor& reg,
                  const std::string& name) {
  caf::scoped_actor self{ sys };
  caf::actor out;
  self->request(reg, 5s, caf::get_atom::value, name)
    .receive([&](const caf::actor& a) { out = a; }, [](caf::error&) {});
  return out;
}

} // namespace

TEST_CASE("a reload starts, stops and restarts AI services and re-reads "
          "secrets") {
  ai_fixture f;
  auto dir =
    fs::temp_directory_path() / ("sophia-reload-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto key_file = dir / "together.key";
  write_file(key_file, "sk-file-ONE\n");
  auto together = service_table("together_ai",
                                "file:" + key_file.string(),
                                f.standin->url() + "/together_ai/v1");
  auto conf = dir / "cluster.conf";
  write_file(
    conf,
    conf_with(together + service_table("huggingface",
                                       test_key,
                                       f.standin->url() + "/huggingface")));
  auto loaded = runtime::config::load(conf.string());
  REQUIRE(std::holds_alternative<runtime::config::cluster_config>(loaded));
  auto& cluster = std::get<runtime::config::cluster_config>(loaded);
  auto reg = runtime::registry::spawn_registry(*f.sys, "n1", 1);
  // The membership stand-in: remembers who subscribed.
  auto subscriber = std::make_shared<caf::actor>();
  auto membership = f.sys->spawn([subscriber](caf::event_based_actor*) {
    return caf::behavior{ [subscriber](runtime::atoms::subscribe,
                                       caf::actor& a) { *subscriber = a; } };
  });
  auto spec = actors::ai::ai_supervisor(
    cluster, reg, "ai_intelligence", [membership] { return membership; });
  auto sup = spec.start(*f.sys, caf::message{});
  REQUIRE(sup);
  auto stop = [&] {
    caf::anon_send_exit(*sup, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(membership, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
  };
  CHECK(wait_for(*f.sys, reg, [](const auto& names) {
    return names.count("mcp.together_ai") && names.count("mcp.huggingface");
  }));
  for (int i = 0; i < 100 && !*subscriber; ++i)
    std::this_thread::sleep_for(50ms);
  REQUIRE(*subscriber);
  auto chat = [&] {
    auto svc = lookup(*f.sys, reg, "mcp.together_ai");
    REQUIRE(svc);
    auto r = call_tool(*f.sys,
                       svc,
                       "chat",
                       { { "model", "Qwen/Qwen3.5-9B" }, { "prompt", "Hi" } });
    REQUIRE(r);
    CHECK_FALSE(r->value("isError", false));
    auto log = f.standin->requests("together_ai", "/v1/chat/completions");
    REQUIRE_FALSE(log.empty());
    return log.back()["headers"]["authorization"].get<std::string>();
  };
  CHECK(chat() == "Bearer sk-file-ONE");

  SUBCASE("tables added, removed and secrets rewritten") {
    write_file(key_file, "sk-file-TWO\n");
    write_file(
      conf,
      conf_with(together +
                service_table("local_llm",
                              "",
                              f.standin->url() + "/openai_compatible/v1",
                              "kind = \"openai_compatible\"")));
    caf::anon_send(*subscriber, runtime::atoms::reload::value, conf.string());
    CHECK(wait_for(*f.sys, reg, [](const auto& names) {
      return names.count("mcp.local_llm") && !names.count("mcp.huggingface");
    }));
    // The provider was restarted with the secret as the file now says.
    CHECK(chat() == "Bearer sk-file-TWO");
    // A reload that changes nothing restarts nothing.
    auto before = lookup(*f.sys, reg, "mcp.together_ai");
    caf::anon_send(*subscriber, runtime::atoms::reload::value, conf.string());
    std::this_thread::sleep_for(500ms);
    CHECK(lookup(*f.sys, reg, "mcp.together_ai") == before);
  }

  SUBCASE("a secret that cannot be resolved keeps the service as it was") {
    // A directory where the key file was: the reference is set but fails.
    auto broken = service_table("together_ai",
                                "file:" + dir.string(),
                                f.standin->url() + "/together_ai/v1");
    write_file(conf, conf_with(broken));
    caf::anon_send(*subscriber, runtime::atoms::reload::value, conf.string());
    CHECK(wait_for(*f.sys, reg, [](const auto& names) {
      return !names.count("mcp.huggingface");
    }));
    CHECK(registered(*f.sys, reg).count("mcp.together_ai") == 1);
    CHECK(chat() == "Bearer sk-file-ONE");
  }
  stop();
  fs::remove_all(dir);
}
