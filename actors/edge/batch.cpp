#include "actors/edge/batch.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace sophia::actors::edge {

namespace {

/// What the elements of one batch share.
struct batch_state {
  std::mutex mtx;
  exchange_ptr out;
  size_t pending = 0;
  bool streaming = false;
  /// Answers not sent yet (all of them unless streaming).
  std::vector<std::string> answers;

  /// One element is done, with `answer` (empty: none).
  void done(std::string answer) {
    std::lock_guard<std::mutex> guard{ mtx };
    if (!answer.empty()) {
      if (streaming)
        out->event({}, std::move(answer));
      else
        answers.push_back(std::move(answer));
    }
    if (--pending != 0) return;
    if (streaming) {
      out->end();
    } else if (answers.empty()) {
      out->accepted();
    } else {
      std::string all = "[";
      for (size_t i = 0; i < answers.size(); ++i) {
        if (i > 0) all += ',';
        all += answers[i];
      }
      all += ']';
      out->reply(std::move(all));
    }
  }

  /// An element streams `data` (a notification, or its answer as event `id`).
  void stream(std::string_view id, std::string data) {
    std::lock_guard<std::mutex> guard{ mtx };
    if (!out->streams()) {
      // stdio: notifications go out as lines, answers still as one array.
      out->event(id, std::move(data));
      return;
    }
    if (!streaming) {
      streaming = true;
      for (auto& a : answers)
        out->event({}, std::move(a));
      answers.clear();
    }
    out->event(id, std::move(data));
  }
};

class member : public exchange {
public:
  explicit member(std::shared_ptr<batch_state> b)
    : b_(std::move(b)) {}

  void fail(int, std::string body, headers) override {
    finish(std::move(body));
  }
  void reply(std::string json) override { finish(std::move(json)); }
  void reply_event(std::string_view id, std::string json) override {
    if (once()) {
      bool streams;
      {
        std::lock_guard<std::mutex> guard{ b_->mtx };
        streams = b_->streaming && b_->out->streams();
      }
      if (streams) {
        b_->stream(id, std::move(json));
        b_->done({});
      } else {
        b_->done(std::move(json));
      }
    }
  }
  void accepted() override { finish({}); }
  void event(std::string_view id, std::string data) override {
    if (data.empty()) return; // a priming event: the batch's stream is one
    if (!done_) b_->stream(id, std::move(data));
  }
  void end() override { finish({}); }
  void set_session(std::string) override {}
  bool alive() const override { return b_->out->alive(); }
  bool streams() const override { return b_->out->streams(); }

private:
  bool once() { return !done_.exchange(true); }
  void finish(std::string answer) {
    if (once()) b_->done(std::move(answer));
  }

  std::shared_ptr<batch_state> b_;
  std::atomic<bool> done_{ false };
};

} // namespace

std::vector<exchange_ptr> make_batch(exchange_ptr out, size_t n, bool sse) {
  auto b = std::make_shared<batch_state>();
  b->out = std::move(out);
  b->pending = n;
  b->streaming = sse && b->out->streams();
  std::vector<exchange_ptr> xs;
  xs.reserve(n);
  for (size_t i = 0; i < n; ++i)
    xs.push_back(std::make_shared<member>(b));
  return xs;
}

} // namespace sophia::actors::edge
