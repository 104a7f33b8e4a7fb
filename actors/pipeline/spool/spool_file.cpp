#include "actors/pipeline/spool/spool_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sophia::actors::pipeline::spool {

namespace fs = std::filesystem;

namespace {

constexpr const char* prefix = "tc-";
constexpr const char* suffix = ".jsonl";

std::string sys_error(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::optional<std::string> write_all(int fd, const std::string& data,
                                     const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return sys_error("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return std::nullopt;
}

// A new or renamed entry is durable once its directory is synced too.
void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

uint64_t size_of(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  return ec ? 0 : n;
}

// Cuts what follows the last newline of `path` (a line a crash tore).
std::optional<std::string> cut_torn_line(const std::string& path) {
  auto size = size_of(path);
  if (size == 0)
    return std::nullopt;
  int fd = ::open(path.c_str(), O_RDWR);
  if (fd < 0)
    return sys_error("cannot open", path);
  uint64_t keep = 0;
  char buf[4096];
  for (uint64_t end = size; end > 0;) {
    auto start = end > sizeof buf ? end - sizeof buf : 0;
    auto n = ::pread(fd, buf, end - start, static_cast<off_t>(start));
    if (n <= 0)
      break;
    auto* nl = static_cast<const char*>(::memrchr(buf, '\n', static_cast<size_t>(n)));
    if (nl != nullptr) {
      keep = start + static_cast<uint64_t>(nl - buf) + 1;
      break;
    }
    end = start;
  }
  std::optional<std::string> err;
  if (keep < size && ::ftruncate(fd, static_cast<off_t>(keep)) != 0)
    err = sys_error("cannot truncate", path);
  else if (keep < size)
    ::fsync(fd);
  ::close(fd);
  return err;
}

} // namespace

spool_file::spool_file(spool_file&& other) noexcept { *this = std::move(other); }

spool_file& spool_file::operator=(spool_file&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    opts_ = std::move(other.opts_);
    fd_ = std::exchange(other.fd_, -1);
    segment_ = other.segment_;
    size_ = other.size_;
    bytes_ = other.bytes_;
    dropped_ = other.dropped_;
    committed_ = other.committed_;
  }
  return *this;
}

spool_file::~spool_file() {
  if (fd_ >= 0)
    ::close(fd_);
}

std::string spool_file::segment_path(uint64_t segment) const {
  char name[48];
  std::snprintf(name, sizeof name, "%s%020llu%s", prefix,
                static_cast<unsigned long long>(segment), suffix);
  return (fs::path{opts_.dir} / name).string();
}

std::vector<uint64_t> spool_file::segments() const {
  std::vector<uint64_t> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator{opts_.dir, ec}) {
    auto name = e.path().filename().string();
    if (name.size() != 3 + 20 + 6 || name.rfind(prefix, 0) != 0
        || name.substr(23) != suffix)
      continue;
    auto digits = name.substr(3, 20);
    if (!std::all_of(digits.begin(), digits.end(), ::isdigit))
      continue;
    out.push_back(std::stoull(digits));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> spool_file::open_segment(uint64_t segment) {
  if (fd_ >= 0)
    ::close(fd_);
  auto path = segment_path(segment);
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    return sys_error("cannot open", path);
  segment_ = segment;
  size_ = size_of(path);
  sync_dir(opts_.dir);
  return std::nullopt;
}

std::variant<spool_file, std::string> spool_file::open(spool_options opts) {
  spool_file s;
  s.opts_ = std::move(opts);
  std::error_code ec;
  fs::create_directories(s.opts_.dir, ec);
  if (ec)
    return "cannot create the spool directory " + s.opts_.dir + ": " + ec.message();
  auto segs = s.segments();
  if (!segs.empty())
    if (auto err = cut_torn_line(s.segment_path(segs.back())))
      return *err;
  for (auto seg : segs)
    s.bytes_ += size_of(s.segment_path(seg));
  if (auto err = s.open_segment(segs.empty() ? 1 : segs.back()))
    return *err;
  auto first = segs.empty() ? s.segment_ : segs.front();
  s.committed_ = {first, 0};
  std::ifstream in{(fs::path{s.opts_.dir} / "committed").string()};
  unsigned long long seg = 0, off = 0;
  if (in >> seg >> off) {
    if (seg < first)
      s.committed_ = {first, 0};
    else if (seg > s.segment_ || (seg == s.segment_ && off > s.size_))
      s.committed_ = s.end(); // the spool was cut back: nothing to resend
    else
      s.committed_ = {seg, std::min<uint64_t>(off, size_of(s.segment_path(seg)))};
  }
  return std::variant<spool_file, std::string>{std::move(s)};
}

std::optional<std::string> spool_file::append(const std::vector<std::string>& lines) {
  std::string buf;
  auto flush = [&]() -> std::optional<std::string> {
    if (buf.empty())
      return std::nullopt;
    if (auto err = write_all(fd_, buf, segment_path(segment_)))
      return err;
    size_ += buf.size();
    bytes_ += buf.size();
    buf.clear();
    if (::fdatasync(fd_) != 0)
      return sys_error("cannot fsync", segment_path(segment_));
    return std::nullopt;
  };
  for (auto& line : lines) {
    if (bytes_ + buf.size() + line.size() + 1 > opts_.max_bytes) {
      ++dropped_;
      continue;
    }
    if (size_ + buf.size() >= opts_.segment_bytes) {
      if (auto err = flush())
        return err;
      if (auto err = open_segment(segment_ + 1))
        return err;
    }
    buf += line;
    buf += '\n';
  }
  return flush();
}

std::variant<read_batch, std::string>
spool_file::read(position from, size_t max_lines, size_t max_bytes) const {
  read_batch out;
  out.end = from;
  auto segs = segments();
  auto at = std::lower_bound(segs.begin(), segs.end(), from.segment);
  if (at == segs.end())
    return out;
  if (*at != from.segment)
    out.end = {*at, 0};
  size_t bytes = 0;
  while (out.lines.size() < max_lines && bytes < max_bytes) {
    auto path = segment_path(out.end.segment);
    std::ifstream in{path, std::ios::binary};
    if (!in)
      return "cannot read " + path;
    in.seekg(static_cast<std::streamoff>(out.end.offset));
    std::string line;
    while (out.lines.size() < max_lines && bytes < max_bytes
           && std::getline(in, line)) {
      if (in.eof())
        break; // no newline: not a whole line (yet)
      out.end.offset += line.size() + 1;
      bytes += line.size() + 1;
      if (!line.empty())
        out.lines.push_back(std::move(line));
    }
    if (out.lines.size() >= max_lines || bytes >= max_bytes)
      break;
    // This segment is read to its end: on to the next, if any.
    auto next = std::upper_bound(segs.begin(), segs.end(), out.end.segment);
    if (next == segs.end())
      break;
    out.end = {*next, 0};
  }
  return out;
}

std::optional<std::string> spool_file::commit(position p) {
  auto file = (fs::path{opts_.dir} / "committed").string();
  auto tmp = file + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return sys_error("cannot open", tmp);
  auto text = std::to_string(p.segment) + " " + std::to_string(p.offset) + "\n";
  auto err = write_all(fd, text, tmp);
  if (!err && ::fsync(fd) != 0)
    err = sys_error("cannot fsync", tmp);
  ::close(fd);
  if (err)
    return err;
  if (::rename(tmp.c_str(), file.c_str()) != 0)
    return sys_error("cannot rename", tmp);
  sync_dir(opts_.dir);
  committed_ = p;
  // Segments wholly before the committed one were shipped.
  for (auto seg : segments()) {
    if (seg >= p.segment || seg == segment_)
      break;
    auto path = segment_path(seg);
    auto n = size_of(path);
    std::error_code ec;
    if (fs::remove(path, ec))
      bytes_ -= std::min(bytes_, n);
  }
  return std::nullopt;
}

bool spool_file::pending() const {
  if (committed_.segment == segment_)
    return committed_.offset < size_;
  return committed_.segment < segment_;
}

} // namespace sophia::actors::pipeline::spool
