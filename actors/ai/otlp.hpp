#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

/// OTLP trace export in protobuf (`opentelemetry/proto/collector/trace/v1`
/// ExportTraceServiceRequest), for the few message types a span needs.
/// Written out by hand: Debian 12 packages no OpenTelemetry C++ SDK or
/// OTLP protos, and the wire format of these messages is small and stable.
namespace sophia::actors::ai::otlp {

/// An attribute value: string, bool, int64 or double.
using value = std::variant<std::string, bool, int64_t, double>;

struct attribute {
  std::string key;
  value v;
};

/// `Status.code`.
enum class status_code : uint8_t { unset = 0, ok = 1, error = 2 };

/// `Span.kind`.
enum class span_kind : uint8_t { internal = 1, server = 2, client = 3 };

struct span {
  /// 16 and 8 raw bytes.
  std::string trace_id;
  std::string span_id;
  /// 8 raw bytes; empty: a root span.
  std::string parent_span_id;
  std::string name;
  span_kind kind = span_kind::client;
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  std::vector<attribute> attributes;
  status_code status = status_code::unset;
  std::string status_message;
};

/// Encodes one request: one resource (with `resource` attributes), one
/// instrumentation scope, and `spans`.
std::string encode_request(const std::vector<attribute>& resource,
                           const std::string& scope_name,
                           const std::string& scope_version,
                           const std::vector<span>& spans);

/// Random ids of the right size (16 and 8 bytes), never all zero.
std::string new_trace_id();
std::string new_span_id();

} // namespace sophia::actors::ai::otlp
