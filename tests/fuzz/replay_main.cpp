// sophia-fuzz-replay: runs the fuzz harnesses over files, without libFuzzer,
// so that every test run replays the checked-in corpus and the inputs that
// once crashed (tests/fuzz/corpus/TARGET, tests/fuzz/regressions/TARGET).
//
//   sophia-fuzz-replay TARGET FILE|DIR...
//   sophia-fuzz-replay --all ROOT     every target over ROOT/corpus/TARGET
//                                     and ROOT/regressions/TARGET
//   sophia-fuzz-replay --list
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/targets.hpp"

namespace fs = std::filesystem;
using namespace sophia::fuzz;

namespace {

/// Runs `t` on `path` (a file, or every file under a directory); returns
/// the number of inputs.
size_t replay(const target& t, const fs::path& path) {
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    for (auto& e : fs::recursive_directory_iterator(path))
      if (e.is_regular_file() && e.path().filename() != ".gitkeep")
        files.push_back(e.path());
  } else if (fs::exists(path)) {
    files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  for (auto& f : files) {
    std::ifstream in{ f, std::ios::binary };
    std::string bytes{ std::istreambuf_iterator<char>{ in }, {} };
    std::printf("%s: %s\n", t.name, f.c_str());
    std::fflush(stdout);
    t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  return files.size();
}

} // namespace

namespace {

int run(int argc, char** argv);

} // namespace

// A harness may keep actors running for the whole process (mcp_request):
// end without running static destructors under them.
int main(int argc, char** argv) {
  auto rc = run(argc, argv);
  std::fflush(nullptr);
  std::_Exit(rc);
}

namespace {

int run(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (auto& t : targets())
      std::printf("%-14s %s\n", t.name, t.what);
    return 0;
  }
  if (argc == 3 && std::strcmp(argv[1], "--all") == 0) {
    fs::path root = argv[2];
    for (auto& t : targets()) {
      auto n = replay(t, root / "corpus" / t.name) +
               replay(t, root / "regressions" / t.name);
      std::printf("%s: %zu inputs, no crash\n", t.name, n);
      if (n == 0) {
        std::fprintf(stderr, "%s: no corpus under %s\n", t.name, argv[2]);
        return 1;
      }
    }
    return 0;
  }
  if (argc >= 3) {
    for (auto& t : targets())
      if (std::strcmp(t.name, argv[1]) == 0) {
        size_t n = 0;
        for (int i = 2; i < argc; ++i)
          n += replay(t, argv[i]);
        std::printf("%s: %zu inputs, no crash\n", t.name, n);
        return 0;
      }
    std::fprintf(stderr, "unknown target '%s' (see --list)\n", argv[1]);
    return 2;
  }
  std::fprintf(stderr,
               "usage: sophia-fuzz-replay TARGET FILE|DIR... | --all ROOT | "
               "--list\n");
  return 2;
}

} // namespace
