#include "measure.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

namespace sophia::bench::pipeline {

namespace {

long status_kib(const char* key) {
  std::ifstream in{"/proc/self/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key, 0) == 0)
      return std::stol(line.substr(line.find(':') + 1));
  return 0;
}

} // namespace

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

double cpu_seconds_of(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  // The command name may hold spaces; the fields follow its ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream fields{text.substr(close + 2)};
  std::string f;
  // Fields 3..13 (state .. cmajflt), then utime (14) and stime (15).
  for (int i = 3; i <= 13; ++i)
    fields >> f;
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long rss_kib() {
  return status_kib("VmRSS:");
}

long peak_rss_kib() {
  return status_kib("VmHWM:");
}

bool reset_peak_rss() {
  std::ofstream out{"/proc/self/clear_refs"};
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

} // namespace sophia::bench::pipeline
