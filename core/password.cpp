#include "core/password.h"

#include <argon2.h>

#include <vector>

#include "core/crypto.h"

namespace gaon {

StatusOr<std::string> HashPassword(std::string_view password, const PasswordParams& p) {
  const std::string salt = RandomBytes(16);
  constexpr std::size_t kHashLen = 32;
  const std::size_t encoded_len =
      argon2_encodedlen(p.iterations, p.memory_kib, p.parallelism, static_cast<std::uint32_t>(salt.size()), kHashLen,
                        Argon2_id);
  std::vector<char> encoded(encoded_len);
  const int rc = argon2id_hash_encoded(p.iterations, p.memory_kib, p.parallelism, password.data(), password.size(),
                                       salt.data(), salt.size(), kHashLen, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return Internal(std::string("argon2id failed: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool VerifyPassword(std::string_view password, const std::string& encoded) {
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string PasswordProblem(std::string_view password) {
  if (password.size() < 12) return "must be at least 12 characters";
  if (password.size() > 256) return "must be at most 256 characters";
  return "";
}

}  // namespace gaon
