#include "gaon/ids.h"

#include <cstdint>
#include <random>

namespace gaon {
namespace {

constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";

int DecodeChar(char c) {
  const auto pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

std::uint64_t RandomWord() {
  thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  return gen();
}

}  // namespace

std::string NewIdBody(std::chrono::system_clock::time_point now) {
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  // 128 bits: 48-bit time, then 80 random bits; read as 26 five-bit digits of a 130-bit
  // number whose top two bits are zero.
  __extension__ using U128 = unsigned __int128;
  const U128 v = (static_cast<U128>(ms & 0xffff'ffff'ffffULL) << 80) |
                              (static_cast<U128>(RandomWord() & 0xffff) << 64) | RandomWord();
  std::string out(kIdBodyLength, '0');
  for (std::size_t i = 0; i < kIdBodyLength; ++i) {
    out[i] = kAlphabet[static_cast<std::size_t>((v >> (125 - 5 * i)) & 31)];
  }
  return out;
}

bool IsWellFormedId(std::string_view s, std::string_view prefix) {
  if (s.size() != prefix.size() + 1 + kIdBodyLength) return false;
  if (s.substr(0, prefix.size()) != prefix || s[prefix.size()] != '_') return false;
  const auto body = s.substr(prefix.size() + 1);
  if (DecodeChar(body[0]) > 7) return false;  // top two bits must be zero (130 > 128 bits)
  for (char c : body) {
    if (DecodeChar(c) < 0) return false;
  }
  return true;
}

std::chrono::system_clock::time_point IdTime(std::string_view id) {
  const auto body = id.substr(id.size() - kIdBodyLength);
  std::uint64_t ms = 0;
  // The first 50 bits (10 chars) hold 2 zero bits + 48 time bits.
  for (std::size_t c = 0; c < 10; ++c) ms = (ms << 5) | static_cast<std::uint64_t>(DecodeChar(body[c]));
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

}  // namespace gaon
