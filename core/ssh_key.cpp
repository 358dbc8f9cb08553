#include "core/ssh_key.h"

#include <cstdint>

#include "core/crypto.h"

namespace gaon {
namespace {

Status Bad(const std::string& why) { return InvalidArgument("public_key " + why, "invalid_ssh_key"); }

// The SSH wire format: uint32 big-endian length, then that many bytes.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool String(std::string_view* out) {
    if (data_.size() < 4) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(data_.data());
    const std::uint32_t len = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    if (data_.size() - 4 < len) return false;
    *out = data_.substr(4, len);
    data_.remove_prefix(4 + len);
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

int BitLength(std::string_view mpint) {
  while (!mpint.empty() && mpint.front() == '\0') mpint.remove_prefix(1);
  if (mpint.empty()) return 0;
  int bits = static_cast<int>(mpint.size() - 1) * 8;
  for (unsigned char top = static_cast<unsigned char>(mpint.front()); top; top >>= 1) ++bits;
  return bits;
}

}  // namespace

StatusOr<SshPublicKey> ParseSshPublicKey(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (text.size() > 16384) return Bad("is too long");
  const auto sp1 = text.find(' ');
  if (sp1 == std::string_view::npos) return Bad("must be an OpenSSH public key: \"<type> <base64> [comment]\"");
  SshPublicKey k;
  k.type = std::string(text.substr(0, sp1));
  std::string_view rest = text.substr(sp1 + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const auto sp2 = rest.find(' ');
  const std::string_view b64 = rest.substr(0, sp2);
  if (sp2 != std::string_view::npos) {
    std::string_view comment = rest.substr(sp2 + 1);
    while (!comment.empty() && comment.front() == ' ') comment.remove_prefix(1);
    k.comment = std::string(comment);
  }
  if (k.type == "ssh-dss") return Bad("is a DSA key; use ed25519, ecdsa or RSA of at least 2048 bits");
  std::string blob;
  if (!Base64Decode(b64, &blob) || blob.empty()) return Bad("has a malformed base64 body");
  Reader r(blob);
  std::string_view inner;
  if (!r.String(&inner) || inner != k.type) return Bad("declares " + k.type + " but its body is not one");
  if (k.type == "ssh-ed25519") {
    std::string_view key;
    if (!r.String(&key) || key.size() != 32 || !r.done()) return Bad("is not a valid ed25519 key");
    k.bits = 256;
  } else if (k.type == "ssh-rsa") {
    std::string_view e, n;
    if (!r.String(&e) || !r.String(&n) || !r.done()) return Bad("is not a valid RSA key");
    k.bits = BitLength(n);
    if (k.bits < 2048) return Bad("is an RSA key of " + std::to_string(k.bits) + " bits; at least 2048 are required");
  } else if (k.type.rfind("ecdsa-sha2-", 0) == 0) {
    const std::string curve = k.type.substr(11);
    std::string_view name, point;
    if (!r.String(&name) || name != curve || !r.String(&point) || !r.done()) return Bad("is not a valid ECDSA key");
    if (curve == "nistp256" && point.size() == 65) k.bits = 256;
    else if (curve == "nistp384" && point.size() == 97) k.bits = 384;
    else if (curve == "nistp521" && point.size() == 133) k.bits = 521;
    else return Bad("uses an unsupported curve or a malformed point");
  } else {
    return Bad("has type " + k.type + "; supported are ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa");
  }
  k.fingerprint = "SHA256:" + Base64Encode(Sha256(blob), false);
  k.canonical = k.type + " " + std::string(b64);
  return k;
}

}  // namespace gaon
