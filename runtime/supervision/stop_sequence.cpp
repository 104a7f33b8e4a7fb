#include "runtime/supervision/stop_sequence.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "runtime/log.hpp"

namespace sophia::runtime::supervision {

void stop_sequence::begin(caf::event_based_actor* self,
                          std::string owner,
                          std::vector<stop_target> targets,
                          bool parallel,
                          done_fn done) {
  owner_ = std::move(owner);
  parallel_ = parallel;
  todo_.assign(std::make_move_iterator(targets.begin()),
               std::make_move_iterator(targets.end()));
  waiting_.clear();
  done_ = std::move(done);
  if (parallel_) {
    while (!todo_.empty()) {
      auto t = std::move(todo_.front());
      todo_.pop_front();
      signal(self, std::move(t));
    }
  }
  advance(self);
}

bool stop_sequence::on_down(caf::event_based_actor* self,
                            const caf::actor_addr& who) {
  if (!active()) return false;
  auto is_who = [&](const stop_target& t) { return t.handle.address() == who; };
  if (auto i = std::find_if(todo_.begin(), todo_.end(), is_who);
      i != todo_.end()) {
    // Died on its own before its turn: nothing left to stop.
    todo_.erase(i);
    advance(self);
    return true;
  }
  auto i = std::find_if(waiting_.begin(),
                        waiting_.end(),
                        [&](const waiting& w) { return is_who(w.target); });
  if (i == waiting_.end()) return false;
  waiting_.erase(i);
  advance(self);
  return true;
}

void stop_sequence::on_timer(caf::event_based_actor* self, uint64_t token) {
  auto i = std::find_if(waiting_.begin(),
                        waiting_.end(),
                        [&](const waiting& w) { return w.token == token; });
  if (i == waiting_.end()) return; // The child went down in time.
  log::get("supervisor")
    ->warn("supervisor={} child={} event=kill reason=\"no exit within {} "
           "ms of the shutdown request\"",
           owner_,
           i->target.id,
           i->target.shutdown.after.count());
  // Keep waiting: the down_msg of a killed actor follows promptly.
  i->token = 0;
  self->send_exit(i->target.handle, caf::exit_reason::kill);
}

void stop_sequence::signal(caf::event_based_actor* self, stop_target target) {
  uint64_t token = 0;
  switch (target.shutdown.how) {
    case shutdown_spec::mode::brutal_kill:
      self->send_exit(target.handle, caf::exit_reason::kill);
      break;
    case shutdown_spec::mode::timeout:
      token = ++next_token_;
      self->send_exit(target.handle, caf::exit_reason::user_shutdown);
      self->delayed_send(self, target.shutdown.after, timer_atom::value, token);
      break;
    case shutdown_spec::mode::infinity:
      self->send_exit(target.handle, caf::exit_reason::user_shutdown);
      break;
  }
  waiting_.push_back({ std::move(target), token });
}

void stop_sequence::advance(caf::event_based_actor* self) {
  if (!parallel_ && waiting_.empty() && !todo_.empty()) {
    auto t = std::move(todo_.front());
    todo_.pop_front();
    signal(self, std::move(t));
    return;
  }
  if (todo_.empty() && waiting_.empty()) {
    // Reset before calling: `done` may begin the next sequence.
    auto f = std::move(done_);
    done_ = nullptr;
    f();
  }
}

} // namespace sophia::runtime::supervision
