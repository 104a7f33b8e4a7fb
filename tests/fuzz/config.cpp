// cluster.conf: any text through the loader. An accepted configuration must
// render (`--check`) to text that parses back to the same rendering.
#include <string>
#include <string_view>
#include <variant>

#include "runtime/config/loader.hpp"
#include "tests/fuzz/fuzz_target.hpp"

using namespace sophia::runtime::config;

SOPHIA_FUZZ_TARGET(config) {
  std::string_view text{ reinterpret_cast<const char*>(data), size };
  auto r = parse(text, "fuzz.conf");
  if (auto* diags = std::get_if<std::vector<diagnostic>>(&r)) {
    for (auto& d : *diags)
      SOPHIA_FUZZ_CHECK(!d.to_string().empty());
    return 0;
  }
  // The first line names the file it was read from; the rest must agree.
  auto body = [](std::string text) { return text.substr(text.find('\n')); };
  auto first = render_effective(std::get<cluster_config>(r));
  auto again = parse(first, "fuzz.conf");
  SOPHIA_FUZZ_CHECK(std::holds_alternative<cluster_config>(again));
  SOPHIA_FUZZ_CHECK(body(render_effective(std::get<cluster_config>(again))) ==
                    body(first));
  return 0;
}
