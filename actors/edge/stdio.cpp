#include "actors/edge/stdio.hpp"

#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include <caf/all.hpp>

#include "actors/edge/edge_actor.hpp"
#include "actors/edge/exchange.hpp"
#include "actors/edge/jsonrpc.hpp"

namespace sophia::actors::edge {

namespace {

namespace rpc = jsonrpc;

/// Writes whole lines to the client; shared by every message of the session.
class stdio_writer : public exchange {
public:
  explicit stdio_writer(std::FILE* out)
    : out_(out) {}

  void fail(int, std::string body, headers) override {
    if (!body.empty()) write(body);
  }
  void reply(std::string json) override { write(json); }
  void reply_event(std::string_view, std::string json) override { write(json); }
  void accepted() override {}
  void event(std::string_view, std::string data) override {
    if (!data.empty()) write(data);
  }
  void end() override {}
  void set_session(std::string) override {}
  bool alive() const override { return true; }
  bool streams() const override { return false; }

private:
  void write(const std::string& line) {
    std::lock_guard<std::mutex> guard{ mtx_ };
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
  }

  std::mutex mtx_;
  std::FILE* out_;
};

} // namespace

void run_stdio(caf::actor engine,
               size_t max_line,
               std::FILE* in,
               std::FILE* out) {
  auto writer = std::make_shared<stdio_writer>(out);
  std::string line;
  bool too_long = false;
  char buf[65536];
  while (std::fgets(buf, sizeof(buf), in) != nullptr) {
    if (!too_long) line += buf;
    if (line.size() > max_line) {
      too_long = true; // drop the rest of this line, answer at its end
      line.clear();
    }
    auto len = std::strlen(buf);
    bool complete = len > 0 && buf[len - 1] == '\n';
    if (!complete && !std::feof(in)) continue; // a longer line: keep reading
    if (too_long) {
      too_long = false;
      writer->reply(rpc::error("null",
                               rpc::invalid_request,
                               "Invalid Request: the line exceeds " +
                                 std::to_string(max_line) +
                                 " bytes (max_body_bytes)"));
      continue;
    }
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      line.clear();
      continue;
    }
    auto body = nlohmann::json::parse(line, nullptr, false);
    line.clear();
    if (body.is_discarded()) {
      writer->reply(rpc::error(
        "null", rpc::parse_error, "Parse error: the line is not valid JSON"));
      continue;
    }
    // Batches go to the engine too: sessions of 2025-03-26 may send them.
    auto msg = std::make_shared<inbound>();
    msg->stdio = true;
    msg->body = std::move(body);
    msg->out = writer;
    caf::anon_send(engine, atoms::mcp_in::value, std::move(msg));
  }
}

} // namespace sophia::actors::edge
