#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sophia::actors::pipeline::sources {

/// `[pipeline.sources.NAME]` as the worker runs it.
struct source_spec {
  std::string name;
  /// argv prefix; the verb and its flags are appended.
  std::vector<std::string> command;
  /// The `config` table as JSON; strings that are secret references are
  /// resolved on each run.
  std::string config_json = "{}";
  /// Absolute path of the ConfiguredAirbyteCatalog.
  std::string catalog;
  int64_t schedule_s = 0;
  int64_t timeout_s = 3600;
};

} // namespace sophia::actors::pipeline::sources
