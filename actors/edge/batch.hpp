#pragma once

#include <cstddef>
#include <vector>

#include "actors/edge/exchange.hpp"

namespace sophia::actors::edge {

/// Exchanges for the elements of one JSON-RPC batch (protocol 2025-03-26),
/// answered through the batch's one transport exchange `out`. The engine
/// handles each element as if it had come alone, through its own exchange;
/// their answers leave together:
/// - as SSE events of one stream that ends with the last answer, when
///   `sse` (`[edge] responses = "sse"`) or once any element streams a
///   notification (on a transport that streams);
/// - else as one JSON array once every answer is in.
/// Elements that need no answer (notifications, responses, cancelled
/// requests) count as done when accepted or ended; a batch with no answer at
/// all gets 202. Thread-safe, like every exchange.
std::vector<exchange_ptr> make_batch(exchange_ptr out, size_t n, bool sse);

} // namespace sophia::actors::edge
