#pragma once

#include <memory>

namespace caf {
class actor_system;
class actor_system_config;
} // namespace caf

/// Sophia's scheduler: CAF's work sharing, with the node's I/O poller as
/// the place where an idle worker waits.
///
/// With CAF's own schedulers an actor that waits on a socket needs a thread
/// that polls it, and every event costs two hand-offs between threads (the
/// poller wakes the worker, the worker wakes the poller again for the next
/// request): some 30 µs each on a small VM, more than the work itself. Here
/// the idle worker blocks in `epoll_wait` on the same set the actors'
/// descriptors are in, so a ready socket is handled on the thread that was
/// waiting for it, and a job enqueued from elsewhere wakes it through an
/// eventfd. Jobs come first: a worker waits in the poller only when the
/// queue is empty (with several workers, one polls while the others wait
/// on the condition variable), and while the queue never empties it looks
/// at the sockets without waiting every few dozen jobs.
namespace sophia::runtime::system {

class poller;

/// Makes `sys` (not yet created) run on Sophia's scheduler.
void load_io_scheduler(caf::actor_system_config& cfg);

/// The poller of `sys`'s scheduler; null when `sys` runs another one.
std::shared_ptr<poller> scheduler_poller(caf::actor_system& sys);

/// The poller an actor of `sys` should register its descriptors with:
/// the scheduler's, or else one with a thread of its own, shared by every
/// caller with the same `sys` (created on first use).
std::shared_ptr<poller> node_poller(caf::actor_system& sys);

} // namespace sophia::runtime::system
