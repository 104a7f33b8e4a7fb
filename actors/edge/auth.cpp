#include "actors/edge/auth.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace sophia::actors::edge {

namespace {

/// Secret files are small; the limit stops `file:/dev/zero` from reading
/// forever.
constexpr size_t max_secret_file = 64 * 1024;

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view text) {
  std::string result{ text };
  std::transform(result.begin(), result.end(), result.begin(), lower);
  return result;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string errno_text(int code) {
  // std::error_code's message is thread-safe, unlike std::strerror.
  return std::error_code{ code, std::generic_category() }.message();
}

secret_result failure(std::string error) {
  secret_result result;
  result.error = std::move(error);
  return result;
}

secret_result from_env(std::string_view name) {
  if (name.empty()) return failure("env: reference needs a variable name");
  std::string var{ name };
  const char* value = std::getenv(var.c_str());
  if (value == nullptr)
    return failure("environment variable " + var + " is not set");
  if (*value == '\0')
    return failure("environment variable " + var + " is empty");
  return secret_result{ std::string{ value }, {}, false };
}

secret_result from_file(std::string_view path_view) {
  if (path_view.empty()) return failure("file: reference needs a path");
  std::string path{ path_view };
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    return failure("cannot read secret file " + path + ": " +
                   errno_text(errno));
  std::string content;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0) {
    content.append(buf, n);
    if (content.size() > max_secret_file) {
      std::fclose(file);
      return failure("secret file " + path + " is larger than " +
                     std::to_string(max_secret_file / 1024) + " KiB");
    }
  }
  // fread sets errno on a read error (e.g. EISDIR for a directory).
  auto read_error = std::ferror(file) != 0 ? errno : 0;
  std::fclose(file);
  if (read_error != 0)
    return failure("cannot read secret file " + path + ": " +
                   errno_text(read_error));
  // Editors end files with a newline that is not part of the secret.
  if (!content.empty() && content.back() == '\n') {
    content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
  }
  if (content.empty()) return failure("secret file " + path + " is empty");
  return secret_result{ std::move(content), {}, false };
}

secret_result from_hash(std::string_view hex) {
  if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), is_hex))
    return failure("sha256: reference needs exactly 64 hex digits");
  return secret_result{ lowercase(hex), {}, true };
}

/// Extracts the host of a `host[:port]` authority, lowercased and without
/// IPv6 brackets; nothing when the authority is malformed.
std::optional<std::string> host_of(std::string_view authority) {
  authority = trim(authority);
  if (authority.empty()) return std::nullopt;
  std::string_view host;
  std::string_view rest;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
    auto ipv6_char = [](char c) { return is_hex(c) || c == ':' || c == '.'; };
    if (host.empty() || !std::all_of(host.begin(), host.end(), ipv6_char))
      return std::nullopt;
  } else {
    auto colon = authority.find(':');
    // More than one colon is an IPv6 address without brackets: malformed.
    if (colon != std::string_view::npos &&
        authority.find(':', colon + 1) != std::string_view::npos)
      return std::nullopt;
    host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{}
                                           : authority.substr(colon);
    auto name_char = [](char c) {
      return is_alnum(c) || c == '-' || c == '.' || c == '_';
    };
    if (host.empty() || !std::all_of(host.begin(), host.end(), name_char))
      return std::nullopt;
  }
  if (!rest.empty()) {
    if (rest.front() != ':' || rest.size() > 6) return std::nullopt;
    rest.remove_prefix(1);
    if (!std::all_of(rest.begin(), rest.end(), is_digit)) return std::nullopt;
  }
  return lowercase(host);
}

/// A policy entry in the form `host_of` returns.
std::string normalize_host(std::string_view host) {
  host = trim(host);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return lowercase(host);
}

} // namespace

// -- hashing ------------------------------------------------------------------

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(
        data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1)
    return {};
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  result.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    result += digits[digest[i] >> 4];
    result += digits[digest[i] & 0x0F];
  }
  return result;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Walk the longer input in full and fold every difference into one
  // accumulator: no early exit, no branch on the data.
  auto n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0u;
    auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0u;
    diff |= x ^ y;
  }
  return diff == 0;
}

// -- secret references --------------------------------------------------------

secret_result resolve_secret(std::string_view ref) {
  ref = trim(ref);
  if (starts_with(ref, "env:")) return from_env(ref.substr(4));
  if (starts_with(ref, "file:")) return from_file(ref.substr(5));
  if (starts_with(ref, "sha256:")) return from_hash(ref.substr(7));
  // The text may be the secret itself: never echo it.
  return failure("secrets must be references (env:NAME, file:/path or "
                 "sha256:<64 hex digits>) so that keys never sit in "
                 "cluster.conf");
}

// -- API keys -----------------------------------------------------------------

bool glob_match(std::string_view pattern, std::string_view text) {
  // Greedy matching with one backtrack point (the last `*`): linear for
  // patterns with a single star, O(pattern * text) at worst, no recursion.
  size_t p = 0;
  size_t t = 0;
  auto star = std::string_view::npos;
  size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

void key_ring::add(std::string name,
                   std::string token_hash_hex,
                   std::vector<std::string> tools) {
  entries_.push_back(entry{
    std::move(name), lowercase(trim(token_hash_hex)), std::move(tools) });
}

const key_ring::entry* key_ring::authenticate(
  std::string_view authorization_header) const {
  auto header = trim(authorization_header);
  auto space = std::find_if(header.begin(), header.end(), is_space);
  if (space == header.end()) return nullptr;
  auto scheme = header.substr(0, static_cast<size_t>(space - header.begin()));
  if (!iequals(scheme, "bearer")) return nullptr;
  auto token = trim(header.substr(scheme.size()));
  // A token is one printable word (RFC 6750's b64token is narrower still).
  auto printable = [](char c) { return c > ' ' && c < 0x7F; };
  if (token.empty() || !std::all_of(token.begin(), token.end(), printable))
    return nullptr;
  auto hash = sha256_hex(token);
  if (hash.empty()) return nullptr;
  // Compare against every key, without stopping at a match, so that the
  // time taken does not reveal which key (or whether any) matched.
  const entry* found = nullptr;
  for (const auto& e : entries_)
    if (constant_time_equal(hash, e.token_hash) && found == nullptr) found = &e;
  return found;
}

bool key_ring::allows(const entry& key, std::string_view tool) {
  return std::any_of(key.tools.begin(),
                     key.tools.end(),
                     [&](const std::string& p) { return glob_match(p, tool); });
}

// -- Host and Origin checks ---------------------------------------------------

bool host_allowed(const origin_policy& policy, std::string_view host_header) {
  auto host = host_of(host_header);
  if (!host) return false;
  return std::any_of(
    policy.hosts.begin(), policy.hosts.end(), [&](const std::string& allowed) {
      return normalize_host(allowed) == *host;
    });
}

bool origin_allowed(const origin_policy& policy,
                    std::string_view origin_header) {
  auto origin = trim(origin_header);
  // Browsers always send Origin on cross-site requests; its absence means a
  // non-browser client, which DNS rebinding cannot drive.
  if (origin.empty()) return true;
  if (iequals(origin, "null")) return false;
  auto sep = origin.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  auto scheme = origin.substr(0, sep);
  auto scheme_char = [](char c) {
    return is_alnum(c) || c == '+' || c == '-' || c == '.';
  };
  if (!std::all_of(scheme.begin(), scheme.end(), scheme_char)) return false;
  auto authority = origin.substr(sep + 3);
  // An origin has no path; tolerate a lone trailing slash, nothing more.
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.find_first_of("/?#@") != std::string_view::npos) return false;
  return host_allowed(policy, authority);
}

origin_policy default_policy(std::string_view bind_address) {
  origin_policy policy{ { "localhost", "127.0.0.1", "[::1]" } };
  auto bind = normalize_host(bind_address);
  if (bind.empty() || bind == "0.0.0.0" || bind == "::") return policy;
  auto known = std::any_of(
    policy.hosts.begin(), policy.hosts.end(), [&](const std::string& h) {
      return normalize_host(h) == bind;
    });
  if (!known)
    policy.hosts.push_back(
      bind.find(':') != std::string::npos ? "[" + bind + "]" : bind);
  return policy;
}

} // namespace sophia::actors::edge
