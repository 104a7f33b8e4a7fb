#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sophia::actors::edge {

// -- hashing ------------------------------------------------------------------

/// Returns the SHA-256 digest of `data` as 64 lowercase hex digits (empty
/// only if OpenSSL itself fails).
std::string sha256_hex(std::string_view data);

/// Compares `a` and `b` in time that depends on their sizes only, never on
/// where they differ, so that comparing secrets leaks nothing through timing.
bool constant_time_equal(std::string_view a, std::string_view b);

// -- secret references --------------------------------------------------------

/// The outcome of `resolve_secret`: a value, or an error saying why not.
struct secret_result {
  /// The secret; empty on error.
  std::optional<std::string> value;
  /// Why there is no value; empty on success. Never contains the secret.
  std::string error;
  /// Whether `value` is already a SHA-256 hash (64 lowercase hex digits)
  /// rather than the secret itself (from a `sha256:` reference).
  bool is_hash = false;
};

/// Resolves a secret reference from configuration:
/// - `env:NAME`: the environment variable NAME (error if unset or empty);
/// - `file:/path`: the file's content, one trailing newline stripped (error
///   naming the path and the reason if unreadable or empty);
/// - `sha256:<64 hex digits>`: an already hashed secret; the result is the
///   hash in lowercase with `is_hash` set.
/// Anything else is rejected: secrets must be references, so that keys
/// never sit in cluster.conf itself.
secret_result resolve_secret(std::string_view ref);

// -- API keys -----------------------------------------------------------------

/// Matches `text` against a glob where `*` matches any run of characters
/// (including none and including dots); every other character matches
/// itself.
bool glob_match(std::string_view pattern, std::string_view text);

/// The API keys an edge accepts. Only hashes of the tokens are kept.
class key_ring {
public:
  /// One API key.
  struct entry {
    /// Names the key in logs and audit lines; never secret.
    std::string name;
    /// SHA-256 of the token, 64 lowercase hex digits.
    std::string token_hash;
    /// Glob patterns of the tools this key may call, e.g. "sophia.*"; "*"
    /// allows every tool, an empty list none.
    std::vector<std::string> tools;
  };

  /// Adds a key. `token_hash_hex` is the SHA-256 of the token in hex (any
  /// case). Invalidates pointers returned by `authenticate`.
  void add(std::string name,
           std::string token_hash_hex,
           std::vector<std::string> tools);

  /// Returns whether the ring holds no key.
  bool empty() const noexcept { return entries_.empty(); }

  /// Returns the number of keys.
  size_t size() const noexcept { return entries_.size(); }

  /// Returns the key that an `Authorization: Bearer <token>` header value
  /// presents, or nullptr when the header is missing, malformed or names no
  /// key. The scheme is case-insensitive; the token is hashed and compared
  /// against every key in constant time.
  const entry* authenticate(std::string_view authorization_header) const;

  /// Returns whether `key` may call `tool`.
  static bool allows(const entry& key, std::string_view tool);

private:
  std::vector<entry> entries_;
};

// -- Host and Origin checks ---------------------------------------------------

/// The hosts an edge answers to (DNS-rebinding protection): a browser
/// tricked into talking to 127.0.0.1 still sends the attacker's host name.
struct origin_policy {
  /// Host names or addresses without port, e.g. "localhost", "127.0.0.1",
  /// "[::1]" (IPv6 with or without brackets). Compared case-insensitively.
  std::vector<std::string> hosts;
};

/// Returns whether a `Host` header value (host with optional `:port`, IPv6
/// in brackets as in `[::1]:8080`) names an allowed host. An empty or
/// malformed value is not allowed.
bool host_allowed(const origin_policy& policy, std::string_view host_header);

/// Returns whether an `Origin` header value (`scheme://host[:port]`) names
/// an allowed host. A missing (empty) Origin is allowed: only browsers send
/// one. The opaque origin `null` and malformed values are not allowed.
bool origin_allowed(const origin_policy& policy,
                    std::string_view origin_header);

/// The policy for an edge bound to `bind_address`: localhost, 127.0.0.1 and
/// [::1], plus the bind address itself unless it is a wildcard (0.0.0.0,
/// ::) or empty.
origin_policy default_policy(std::string_view bind_address);

} // namespace sophia::actors::edge
