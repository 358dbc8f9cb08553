// Passwords: argon2id (libargon2) in the PHC string format, so parameters travel with the
// hash and can be raised later without invalidating old hashes.
// Thread-safety: free functions; each call allocates its own memory (m_cost KiB).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gaon/status.h"

namespace gaon {

struct PasswordParams {
  std::uint32_t memory_kib = 19456;  // OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
};

// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" with a fresh 16-byte salt.
StatusOr<std::string> HashPassword(std::string_view password, const PasswordParams& params);
// True when `password` matches `encoded` (constant-time inside libargon2).
bool VerifyPassword(std::string_view password, const std::string& encoded);

// The password policy: 12 to 256 characters. Returns the reason it is refused, or "".
std::string PasswordProblem(std::string_view password);

}  // namespace gaon
