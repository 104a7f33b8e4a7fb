#pragma once

#include "runtime/http/client.hpp"

namespace sophia::runtime::config {
struct service_config;
} // namespace sophia::runtime::config

/// One service's `[services.NAME]` settings as the HTTP client's policy:
/// shared by every module whose actors call external services.
namespace sophia::runtime::http {

policy policy_of(const config::service_config& svc);

} // namespace sophia::runtime::http
