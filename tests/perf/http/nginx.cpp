#include "http_load.hpp"

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

namespace sophia::bench::http {

namespace {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

size_t append(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

} // namespace

nginx_server::nginx_server(const std::string& binary, const std::string& dir,
                           int cpu) {
  port_ = free_port();
  auto conf = dir + "/nginx.conf";
  {
    std::ofstream out{ conf };
    // One worker: the client side gets the other core of a 2-core machine.
    // Keep-alive limits are far above one run, so that no connection is
    // closed by the server during the benchmark.
    out << "daemon off;\n"
        << "worker_processes 1;\n"
        // A mask with CPU 0 rightmost.
        << (cpu >= 0 ? "worker_cpu_affinity 1" + std::string(static_cast<size_t>(cpu), '0')
                         + ";\n"
                     : std::string{})
        << "pid " << dir << "/nginx.pid;\n"
        << "error_log " << dir << "/error.log warn;\n"
        << "events { worker_connections 4096; }\n"
        << "http {\n"
        << "  access_log off;\n"
        << "  client_body_temp_path " << dir << "/body;\n"
        << "  proxy_temp_path " << dir << "/proxy;\n"
        << "  fastcgi_temp_path " << dir << "/fastcgi;\n"
        << "  uwsgi_temp_path " << dir << "/uwsgi;\n"
        << "  scgi_temp_path " << dir << "/scgi;\n"
        << "  keepalive_timeout 600s;\n"
        << "  keepalive_requests 100000000;\n"
        << "  server {\n"
        << "    listen 127.0.0.1:" << port_ << ";\n"
        << "    location = /nginx_status { stub_status; }\n"
        << "    location / { default_type text/plain;"
        << " return 200 \"hello from nginx\\n\"; }\n"
        << "  }\n"
        << "}\n";
    if (!out) throw std::runtime_error("cannot write " + conf);
  }
  proc_ = child_process::spawn(
    { binary, "-e", dir + "/error.log", "-p", dir, "-c", conf },
    dir + "/nginx.out");
  status_easy_ = curl_easy_init();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds{ 10 };
  while (accepted() < 0) {
    if (!proc_.running() || std::chrono::steady_clock::now() > until)
      throw std::runtime_error("nginx did not start: "
                               + tail_file(dir + "/error.log", 10)
                               + tail_file(dir + "/nginx.out", 10));
    std::this_thread::sleep_for(std::chrono::milliseconds{ 50 });
  }
}

nginx_server::~nginx_server() {
  if (status_easy_) curl_easy_cleanup(static_cast<CURL*>(status_easy_));
  // SIGQUIT: nginx's graceful stop.
  proc_.signal(SIGQUIT);
  proc_.terminate(std::chrono::milliseconds{ 2000 });
}

std::string nginx_server::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/";
}

long nginx_server::accepted() {
  auto e = static_cast<CURL*>(status_easy_);
  std::string body;
  auto url = "http://127.0.0.1:" + std::to_string(port_) + "/nginx_status";
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  if (curl_easy_perform(e) != CURLE_OK) return -1;
  // "Active connections: 1 \nserver accepts handled requests\n 5 5 9 \n..."
  static const std::regex numbers{ R"(requests\s*\n\s*(\d+)\s+(\d+)\s+(\d+))" };
  std::smatch m;
  if (!std::regex_search(body, m, numbers)) return -1;
  return std::stol(m[1].str());
}

} // namespace sophia::bench::http
