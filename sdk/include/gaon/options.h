// ClientOptions: everything a gaon::Client is built from, as a plain value.
//
// The client never reads environment variables or files itself (a device may have neither);
// `OptionsFromEnvironment()` in gaon/profile.h builds options from GAON_* variables and the
// profile file when that is what the program wants.
// Thread-safety: plain values; copy freely.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "gaon/status.h"

namespace gaon {

// When and how often a failed call is tried again. A call is retried only when the failure is
// transient: the connection could not be made or broke before an answer came, 429 (after
// the server's Retry-After, in seconds or as an HTTP date), 502, 503 or 504, or 409
// idempotency_in_progress or idempotency_conflict (the server's Idempotency-Key record was
// not settled yet; see docs/sdk.md). Every method is safe to retry: GET, PUT, PATCH and
// DELETE are idempotent, and every POST carries an Idempotency-Key that stays the same across
// its attempts, so the server does it once.
struct RetryPolicy {
  // Attempts in all, the first included; 1 disables retries.
  int max_attempts = 6;
  // The wait before the second attempt, at most; it grows by `multiplier` per attempt up
  // to `max_backoff`. With `jitter` (full jitter) the wait is uniform in [0, that bound], so
  // many clients failing together do not come back together.
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  double multiplier = 2.0;
  bool jitter = true;
};

// What one attempt did, for logging and debugging (`gaonctl -v`). Called on the thread that
// made the call, after each attempt, retried or not.
struct AttemptInfo {
  std::string method;      // "POST"
  std::string target;      // "/v1/tenants/ten_…/instances?page_size=10"
  int attempt = 1;         // 1 for the first
  int http_status = 0;     // 0 when no answer came
  Status status;           // OK, or why the attempt failed
  std::string request_id;  // the X-Request-Id of the exchange
  bool replayed = false;   // the server replayed a stored answer (Idempotent-Replayed: true)
  bool will_retry = false;
  std::chrono::milliseconds backoff{0};  // the wait before the next attempt, when will_retry
  std::chrono::microseconds duration{0};
};

struct ClientOptions {
  // "https://gaon.example.kr" or "http://127.0.0.1:8080", optionally with a path prefix
  // ("https://example.kr/gaon"). No query, fragment or user info.
  std::string endpoint;
  // A Gaon API key ("gaon_sk_…"), sent as `Authorization: Bearer`. Empty: no credentials
  // (only /healthz, /readyz, /metrics and /v1/openapi.yaml answer then).
  std::string api_key;

  // TLS (https endpoints): the server's certificate chain and host name are verified unless
  // `verify_tls` is false (only for tests and trusted networks). `ca_file` (PEM) replaces the
  // system's trust store when set.
  bool verify_tls = true;
  std::string ca_file;

  // Opening one connection (TCP and TLS) may take at most `connect_timeout`; a whole call,
  // retries and their waits included, at most `request_timeout`.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};
  RetryPolicy retry;

  // Appended to the User-Agent ("gaon-sdk-cpp/0.1.0 <suffix>"), e.g. "gaonctl/0.1.0".
  std::string user_agent_suffix;
  // Most idle keep-alive connections kept for reuse; more may be open while calls run.
  int pool_size = 8;
  // Sent as X-Gaon-Operator-Reason on every request when not empty. Operators (platform-admin
  // keys) must state a reason to act on a tenant's routes; it is recorded in the audit log.
  std::string operator_reason;
  // Called after every attempt of every call (see AttemptInfo); empty for none. Must not
  // call back into the client.
  std::function<void(const AttemptInfo&)> on_attempt;
};

}  // namespace gaon
