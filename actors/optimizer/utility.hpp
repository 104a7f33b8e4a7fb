#pragma once

#include <optional>
#include <string_view>

/// The one formula that weighs a candidate model's expected quality
/// against its expected cost, by the caller's priorities
/// (`cost_priority`, `performance_priority` of `ai.intelligent_generate`
/// and `sophia.optimize_routing`).
///
///   utility = quality - lambda * cost / reference_cost
///
/// `quality` is the expected feedback score in [0, 1] (the outcome
/// memory's estimate), `cost` the expected USD of this prompt on the
/// model, `reference_cost` the cost that makes costs comparable across
/// prompts (the mean cost of the premium model in the memory), and
/// `lambda` depends only on how far the cost priority is above the
/// performance priority: d = level(cost) - level(performance), levels
/// low 0, medium 1, high 2. Equal priorities (d = 0) share one lambda.
namespace sophia::actors::optimizer {

enum class priority { low = 0, medium = 1, high = 2 };

/// "low", "medium" or "high"; none for anything else.
std::optional<priority> parse_priority(std::string_view text);

/// lambda for d = level(cost) - level(performance) in -2..2. The values
/// were chosen on RouterBench's train split by `sophia-routing-calibrate`
/// (10-fold cross-validation of the whole decision): at d = -2 the largest
/// lambda that keeps 99 % of premium's quality, at 0 95 %, at 2 90 %, each
/// with 0.3 points of margin; d = -1 and 1 are the geometric means of
/// their neighbours.
double cost_weight(priority cost, priority performance);

/// The utility of a candidate (see above); a `reference_cost` of 0 or
/// less counts cost as 0.
double utility(double quality, double cost_usd, double reference_cost,
               double lambda);

} // namespace sophia::actors::optimizer
