// Cryptographic primitives Gaon needs, from OpenSSL: secure random bytes, SHA-256, HMAC,
// constant-time comparison and base64url. OpenSSL headers stay inside crypto.cpp.
// Thread-safety: all functions are safe to call from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gaon {

// `n` bytes from the OS CSPRNG (OpenSSL RAND_bytes). Aborts if the generator fails: running
// on with predictable secrets is never acceptable.
std::string RandomBytes(std::size_t n);
// `n` random bytes rendered as unpadded base64url (a URL- and header-safe secret).
std::string RandomToken(std::size_t n);

std::string Sha256(std::string_view data);     // 32 raw bytes
std::string Sha256Hex(std::string_view data);  // 64 lowercase hex chars
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes

// True when a == b, taking time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string HexEncode(std::string_view bytes);
// Standard base64 (RFC 4648 §4). Decode returns false on malformed input.
std::string Base64Encode(std::string_view bytes, bool pad = true);
bool Base64Decode(std::string_view text, std::string* out);
std::string Base64UrlEncode(std::string_view bytes);  // no padding
// Returns false on characters outside the base64url alphabet.
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace gaon
