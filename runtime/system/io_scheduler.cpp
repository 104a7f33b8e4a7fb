#include "runtime/system/io_scheduler.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include <caf/logger.hpp>

// CAF's worker loop (a template, expanded here for `io_sharing`) tells its
// logger which actor runs, per job: a dynamic_cast through CAF's class
// hierarchy and two thread-local updates, some 1.5 % of an HTTP request
// through the client actor (callgrind). Debian's CAF is built to log
// nothing (CAF_LOG_LEVEL_QUIET), so nobody reads that actor id: this
// translation unit's worker skips it.
#undef CAF_PUSH_AID_FROM_PTR
#define CAF_PUSH_AID_FROM_PTR(unused) static_cast<void>(0)

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/policy/unprofiled.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/coordinator.hpp>

#include "runtime/system/poller.hpp"

namespace sophia::runtime::system {

namespace {

/// Jobs a worker runs, while there are always more, before it looks at the
/// sockets without waiting: a node busy with messages still hears them.
constexpr size_t poll_every = 32;

/// CAF's work sharing (one central queue), except that an idle worker
/// waits in the node's poller while no other worker does.
class io_sharing : public caf::policy::unprofiled {
public:
  struct coordinator_data {
    explicit coordinator_data(caf::scheduler::abstract_coordinator*)
      : io(std::make_shared<poller>()) {
    }
    std::mutex lock;
    std::condition_variable cv;
    std::deque<caf::resumable*> queue;
    std::shared_ptr<poller> io;
    /// Workers blocked on `cv`.
    size_t sleepers = 0;
    /// A worker holds the polling role (in `epoll_wait` or about to be).
    bool polling = false;
    /// The polling worker has not been woken since it went to wait: a job
    /// enqueued now must wake it through the poller's eventfd.
    bool poll_asleep = false;
    /// Jobs taken since the sockets were last looked at.
    size_t since_poll = 0;
  };

  struct worker_data {
    explicit worker_data(caf::scheduler::abstract_coordinator*) {
      // nop
    }
  };

  template <class Coordinator>
  void enqueue(Coordinator* self, caf::resumable* job) {
    auto& d = self->data();
    bool wake_poller = false;
    {
      std::lock_guard<std::mutex> guard{ d.lock };
      d.queue.push_back(job);
      // As CAF's sharing: an idle worker takes it at once, even when the
      // enqueuing worker could after its current job (which may be long).
      if (d.sleepers > 0) {
        d.cv.notify_one();
      } else if (d.poll_asleep) {
        d.poll_asleep = false;
        wake_poller = true;
      }
    }
    // Outside the lock: the woken worker wants it at once.
    if (wake_poller) d.io->wake();
  }

  template <class Coordinator>
  void central_enqueue(Coordinator* self, caf::resumable* job) {
    enqueue(self, job);
  }

  template <class Worker>
  void external_enqueue(Worker* self, caf::resumable* job) {
    enqueue(self->parent(), job);
  }

  template <class Worker>
  void internal_enqueue(Worker* self, caf::resumable* job) {
    enqueue(self->parent(), job);
  }

  template <class Worker>
  void resume_job_later(Worker* self, caf::resumable* job) {
    enqueue(self->parent(), job);
  }

  template <class Worker>
  caf::resumable* dequeue(Worker* self) {
    auto& d = self->parent()->data();
    std::unique_lock<std::mutex> guard{ d.lock };
    for (;;) {
      if (!d.queue.empty()) {
        if (++d.since_poll >= poll_every && !d.polling) {
          d.since_poll = 0;
          d.polling = true;
          guard.unlock();
          d.io->wait_and_dispatch(0);
          guard.lock();
          d.polling = false;
          continue; // another worker may have taken the job meanwhile
        }
        auto job = d.queue.front();
        d.queue.pop_front();
        return job;
      }
      if (!d.polling) {
        d.since_poll = 0;
        d.polling = true;
        d.poll_asleep = true;
        guard.unlock();
        d.io->wait_and_dispatch(-1, [&d] {
          // Jobs the reports below enqueue need no wake-up: this worker
          // takes them next.
          std::lock_guard<std::mutex> g{ d.lock };
          d.poll_asleep = false;
        });
        guard.lock();
        d.polling = false;
        d.poll_asleep = false;
        // While this worker runs jobs, a sleeping one takes over polling.
        if (d.sleepers > 0) d.cv.notify_one();
        continue;
      }
      ++d.sleepers;
      d.cv.wait(guard);
      --d.sleepers;
    }
  }

  template <class Worker, class UnaryFunction>
  void foreach_resumable(Worker*, UnaryFunction) {
    // nop: no queues per worker
  }

  template <class Coordinator, class UnaryFunction>
  void foreach_central_resumable(Coordinator* self, UnaryFunction f) {
    auto& d = self->data();
    std::unique_lock<std::mutex> guard{ d.lock };
    while (!d.queue.empty()) {
      auto job = d.queue.front();
      d.queue.pop_front();
      f(job);
    }
  }
};

using io_coordinator = caf::scheduler::coordinator<io_sharing>;

} // namespace

void load_io_scheduler(caf::actor_system_config& cfg) {
  cfg.load<io_coordinator>();
}

std::shared_ptr<poller> scheduler_poller(caf::actor_system& sys) {
  if (auto c = dynamic_cast<io_coordinator*>(&sys.scheduler()))
    return c->data().io;
  return nullptr;
}

std::shared_ptr<poller> node_poller(caf::actor_system& sys) {
  if (auto p = scheduler_poller(sys)) return p;
  static std::mutex mtx;
  static std::map<caf::actor_system*, std::weak_ptr<poller>> own;
  std::lock_guard<std::mutex> guard{ mtx };
  for (auto i = own.begin(); i != own.end();)
    i = i->second.expired() ? own.erase(i) : std::next(i);
  auto& slot = own[&sys];
  if (auto p = slot.lock()) return p;
  // Deleted after its thread ends; the last owner may be an actor whose
  // state dies on that very thread, which `stop_thread` allows for.
  auto p = std::shared_ptr<poller>{ new poller, [](poller* x) {
                                     x->stop_thread();
                                     delete x;
                                   } };
  p->start_thread();
  slot = p;
  return p;
}

} // namespace sophia::runtime::system
