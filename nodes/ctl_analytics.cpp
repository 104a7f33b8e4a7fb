#include "nodes/ctl_analytics.hpp"

#include <iostream>

#include "runtime/error.hpp"

namespace sophia::nodes {

using nlohmann::json;

int ctl_analytics(const std::vector<std::string>& operands,
                  const analytics_args& a, const tool_caller& call) {
  if (operands.size() != 1 || operands[0] != "summary") {
    std::cerr << "sophiactl: analytics needs summary\n";
    return 2;
  }
  json args{{"period", a.period}};
  if (!a.since.empty())
    args["since"] = a.since;
  if (!a.group_by.empty())
    args["group_by"] = a.group_by;
  if (a.max_rows > 0)
    args["max_rows"] = a.max_rows;
  auto r = call("analytics", "summary", args, 60000);
  if (!r) {
    std::cerr << "sophiactl: analytics.summary: " << runtime::detail_of(r.error())
              << "\n";
    return 1;
  }
  std::string text;
  for (auto& c : r->value("content", json::array()))
    if (c.is_object() && c.value("type", "") == "text")
      text += c.value("text", "");
  if (r->value("isError", false)) {
    std::cerr << "sophiactl: " << text << "\n";
    return 1;
  }
  if (a.json)
    std::cout << r->value("structuredContent", json()).dump(2) << "\n";
  else
    std::cout << text << "\n";
  return 0;
}

} // namespace sophia::nodes
