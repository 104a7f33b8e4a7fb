// The tool-call spool on disk: appends survive a reopen, a torn last line
// is cut, the committed position is kept, shipped segments go, a full
// spool drops new lines.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "actors/pipeline/spool/spool_file.hpp"

namespace fs = std::filesystem;
using namespace sophia::actors::pipeline::spool;

namespace {

/// A fresh directory, removed at the end of the case.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path()
           / ("sophia-spool-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

spool_file open_ok(spool_options o) {
  auto s = spool_file::open(std::move(o));
  if (auto* err = std::get_if<std::string>(&s))
    FAIL(*err);
  return std::move(std::get<spool_file>(s));
}

std::vector<std::string> lines(int from, int n) {
  std::vector<std::string> out;
  for (int i = from; i < from + n; ++i)
    out.push_back("{\"id\":\"r" + std::to_string(i) + "\"}");
  return out;
}

read_batch read_ok(const spool_file& s, position from, size_t max = 1000) {
  auto b = s.read(from, max);
  if (auto* err = std::get_if<std::string>(&b))
    FAIL(*err);
  return std::get<read_batch>(b);
}

std::vector<fs::path> segments_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator{dir})
    if (e.path().extension() == ".jsonl")
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("spool: appended lines are read back from the committed position") {
  temp_dir d;
  auto s = open_ok({d.path.string()});
  CHECK_FALSE(s.pending());
  REQUIRE_FALSE(s.append(lines(0, 3)));
  CHECK(s.pending());
  auto b = read_ok(s, s.committed());
  CHECK(b.lines == lines(0, 3));
  CHECK(b.end == s.end());
  // A partial read ends after the last line it returned.
  auto two = read_ok(s, s.committed(), 2);
  CHECK(two.lines == lines(0, 2));
  CHECK(read_ok(s, two.end).lines == lines(2, 1));
}

TEST_CASE("spool: a reopen after a crash reads what was synced and cuts a "
          "torn last line") {
  temp_dir d;
  {
    auto s = open_ok({d.path.string()});
    REQUIRE_FALSE(s.append(lines(0, 5)));
  } // the process "dies": nothing else happens to the files
  auto segs = segments_in(d.path);
  REQUIRE(segs.size() == 1);
  auto whole = fs::file_size(segs[0]);
  {
    std::ofstream torn{segs[0], std::ios::app};
    torn << "{\"id\":\"r5\",\"tool\":\"half a rec";
  }
  auto s = open_ok({d.path.string()});
  CHECK(fs::file_size(segs[0]) == whole);
  CHECK(read_ok(s, s.committed()).lines == lines(0, 5));
  // Appends go on after the cut, whole.
  REQUIRE_FALSE(s.append(lines(5, 1)));
  CHECK(read_ok(s, s.committed()).lines == lines(0, 6));
}

TEST_CASE("spool: the committed position survives a reopen; nothing is "
          "read twice") {
  temp_dir d;
  position end;
  {
    auto s = open_ok({d.path.string()});
    REQUIRE_FALSE(s.append(lines(0, 4)));
    auto b = read_ok(s, s.committed(), 3);
    REQUIRE_FALSE(s.commit(b.end));
    end = b.end;
  }
  auto s = open_ok({d.path.string()});
  CHECK(s.committed() == end);
  CHECK(s.pending());
  auto rest = read_ok(s, s.committed());
  CHECK(rest.lines == lines(3, 1));
  REQUIRE_FALSE(s.commit(rest.end));
  CHECK_FALSE(s.pending());
  auto again = open_ok({d.path.string()});
  CHECK_FALSE(again.pending());
  CHECK(read_ok(again, again.committed()).lines.empty());
}

TEST_CASE("spool: segments rotate, and the shipped ones are deleted") {
  temp_dir d;
  auto s = open_ok({d.path.string(), 100});
  for (int i = 0; i < 10; ++i)
    REQUIRE_FALSE(s.append(lines(i * 5, 5)));
  auto segs = segments_in(d.path).size();
  CHECK(segs > 3);
  auto bytes = s.bytes();
  std::vector<std::string> got;
  auto at = s.committed();
  while (s.pending()) {
    auto b = read_ok(s, at, 7);
    got.insert(got.end(), b.lines.begin(), b.lines.end());
    REQUIRE_FALSE(s.commit(b.end));
    at = b.end;
    if (b.lines.empty())
      break;
  }
  CHECK(got == lines(0, 50));
  CHECK(segments_in(d.path).size() == 1);
  CHECK(s.bytes() < bytes);
  // What is left is read from the right place after a reopen.
  auto again = open_ok({d.path.string(), 100});
  CHECK_FALSE(again.pending());
  REQUIRE_FALSE(again.append(lines(50, 2)));
  CHECK(read_ok(again, again.committed()).lines == lines(50, 2));
}

TEST_CASE("spool: beyond max_bytes new lines are dropped and counted") {
  temp_dir d;
  auto s = open_ok({d.path.string(), 1 << 20, 100});
  REQUIRE_FALSE(s.append(lines(0, 20)));
  CHECK(s.dropped() > 0);
  CHECK(s.bytes() <= 100);
  auto kept = read_ok(s, s.committed()).lines;
  CHECK(kept.size() + s.dropped() == 20);
  CHECK(kept == lines(0, static_cast<int>(kept.size())));
}

TEST_CASE("spool: a committed file pointing past the segments is clamped") {
  temp_dir d;
  {
    auto s = open_ok({d.path.string()});
    REQUIRE_FALSE(s.append(lines(0, 2)));
  }
  {
    std::ofstream c{d.path / "committed"};
    c << "99 12345\n";
  }
  auto s = open_ok({d.path.string()});
  CHECK_FALSE(s.pending());
  {
    std::ofstream c{d.path / "committed"};
    c << "garbage\n";
  }
  auto t = open_ok({d.path.string()});
  CHECK(read_ok(t, t.committed()).lines == lines(0, 2));
}
