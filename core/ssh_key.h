// OpenSSH public keys: parsing, the key-strength policy and the SHA256 fingerprint exactly as
// `ssh-keygen -l` prints it.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "gaon/status.h"

namespace gaon {

struct SshPublicKey {
  std::string type;         // ssh-ed25519 | ecdsa-sha2-nistp256/384/521 | ssh-rsa
  int bits = 0;
  std::string fingerprint;  // "SHA256:<unpadded base64>"
  std::string comment;
  std::string canonical;    // "<type> <base64>" (the comment dropped)
};

// Accepts "type base64 [comment]". InvalidArgument for anything else, for DSA and unknown
// types, for RSA below 2048 bits, and for a blob whose inner type or curve disagrees with
// the declared one.
StatusOr<SshPublicKey> ParseSshPublicKey(std::string_view text);

}  // namespace gaon
