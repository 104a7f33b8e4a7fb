#include "actors/optimizer/utility.hpp"

#include <array>

namespace sophia::actors::optimizer {

std::optional<priority> parse_priority(std::string_view text) {
  if (text == "low")
    return priority::low;
  if (text == "medium")
    return priority::medium;
  if (text == "high")
    return priority::high;
  return std::nullopt;
}

double cost_weight(priority cost, priority performance) {
  // Indexed by d + 2 (see the header for how they were chosen).
  static constexpr std::array<double, 5> lambdas{0.051, 0.0798, 0.125, 0.5755,
                                                 2.65};
  auto d = static_cast<int>(cost) - static_cast<int>(performance);
  return lambdas[static_cast<size_t>(d + 2)];
}

double utility(double quality, double cost_usd, double reference_cost,
               double lambda) {
  if (reference_cost <= 0)
    return quality;
  return quality - lambda * cost_usd / reference_cost;
}

} // namespace sophia::actors::optimizer
