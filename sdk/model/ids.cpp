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
  // 130 bits of room for 128 bits of content: 48-bit time + 80-bit random, left-aligned.
  const std::uint64_t r1 = RandomWord();
  const std::uint64_t r2 = RandomWord() & 0xffff;  // 64 + 16 = 80 random bits
  // A 130-bit big-endian bit string, [2 zero bits][48 time][80 random], read 5 bits a char.
  std::string out(kIdBodyLength, '0');
  auto bit = [&](int i) -> int {  // i in [0, 130)
    if (i < 2) return 0;
    i -= 2;
    if (i < 48) return static_cast<int>((ms >> (47 - i)) & 1);
    i -= 48;
    if (i < 16) return static_cast<int>((r2 >> (15 - i)) & 1);
    i -= 16;
    return static_cast<int>((r1 >> (63 - i)) & 1);
  };
  for (std::size_t c = 0; c < kIdBodyLength; ++c) {
    int v = 0;
    for (int b = 0; b < 5; ++b) v = (v << 1) | bit(static_cast<int>(c) * 5 + b);
    out[c] = kAlphabet[static_cast<std::size_t>(v)];
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
