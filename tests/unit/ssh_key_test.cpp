#include <catch2/catch.hpp>

#include "core/ssh_key.h"

using namespace gaon;

// Keys made with ssh-keygen; the fingerprints are what `ssh-keygen -l` printed for them.
namespace {
const char* kEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINTZIl7LaQ95gSKT3BLc3oE2MO/bpL4Wu0DPS4kx41eS alice@laptop";
const char* kEcdsa384 = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBGuEmWo1D6fwBuM7iBFYEJ9HAf4YsbwFNarn5zAfN29ATX00NUchLzy9GD43e5YhQ0vwrZmQsb/1p3czV63ocURUOVAQmNkEqWHBXdjWMGwMO5ctpXCP38LCN38xAxM3Pw== ops";
const char* kRsa3072 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDnoVCwJMb13UgXsSoSAa5AgLqf7+ns5PGmvehugjmvwLKEjfOmnQB3Pdl58m10oDclqlFRBFVIegO/lT+hta7RBsKc7J0y66z0AMbtia8PrRK8etulJ3d8Ojx3J4yyOipa9W7tYrih0R8O80OR4WrFGShGRwagqim/ZvaVIj46K0GQXu8HfLvyPFKTT/PvyPW6QVirfxwBbaTid1vX7nHZfeo3dpMsnvcitVUGqUW5eXLgPFfr7Yp/mQ9jlqugbIvTW3nKNViDxnR8pYL+ryNO43Efr19GGsvh5acHHKW5QR+edCSQl+iNY/oWQ8NiJhCe3jln8UuYN7oU7Qtolck5yLRz/8kHVdRTXYyPr2GLwoAlQlBY9VnZizqYs45AM4ZV/tPlyn8FPmCWdKrW78pMNqNJtIoUm4c7NNGWuz9divjlbOI9uSLplE0ymZj6GGyoQbFk7l34rHsqu1AVByHtDKsKFw0h4aWBSEf1uUrnU2yvZGFP3y5Zlaqq8UELxxE=";
const char* kRsa1024 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDkAGprFolk6lMiwDm1S7DS6mSSAmQ1SHE9CRdWSYBxK9Es5rb0og/IcDgqkAqPYfJZlDJb49USNUuplfin7xbpK63841kFIFsnctvQu2bxhF9YQUxfmYlfn4RIpLvVkTPEqJisF6shVBUFe10sfc4Jq5d+i8aUVJqhd97wTUmC8w== root@vm";
}  // namespace

TEST_CASE("OpenSSH public keys parse with ssh-keygen's SHA256 fingerprint", "[ssh]") {
  auto ed = ParseSshPublicKey(kEd25519);
  REQUIRE(ed.ok());
  CHECK(ed->type == "ssh-ed25519");
  CHECK(ed->bits == 256);
  CHECK(ed->fingerprint == "SHA256:Jo8eNY8qBPvulanxnEpUyPrJqfzl3mqalpo1iskccEQ");
  CHECK(ed->comment == "alice@laptop");

  auto ec = ParseSshPublicKey(std::string(kEcdsa384) + "\n");
  REQUIRE(ec.ok());
  CHECK(ec->type == "ecdsa-sha2-nistp384");
  CHECK(ec->bits == 384);
  CHECK(ec->fingerprint == "SHA256:YiOe8x2a5l08wARVw/9qwrf50pEt9zwn6mNGmzrk7Sg");

  auto rsa = ParseSshPublicKey(kRsa3072);
  REQUIRE(rsa.ok());
  CHECK(rsa->bits == 3072);
  CHECK(rsa->fingerprint == "SHA256:ipxpCbXtKFxXfvtlAeZvp8r9Vv/gTnRO4CVSYJMJtjs");
  CHECK(rsa->comment.empty());
}

TEST_CASE("weak, unknown and malformed SSH keys are refused", "[ssh]") {
  auto weak = ParseSshPublicKey(kRsa1024);
  REQUIRE_FALSE(weak.ok());
  CHECK_THAT(weak.status().message(), Catch::Contains("1024 bits"));
  CHECK_FALSE(ParseSshPublicKey("ssh-dss AAAAB3NzaC1kc3MAAACBAP").ok());
  CHECK_FALSE(ParseSshPublicKey("ssh-ed25519").ok());
  CHECK_FALSE(ParseSshPublicKey("ssh-ed25519 not*base64").ok());
  CHECK_FALSE(ParseSshPublicKey("").ok());
  // The declared type must match the body.
  std::string lying = kEd25519;
  lying.replace(0, 11, "ssh-rsa");
  CHECK_FALSE(ParseSshPublicKey(lying).ok());
  // Truncated body.
  std::string cut = std::string(kEd25519).substr(0, 40);
  CHECK_FALSE(ParseSshPublicKey(cut).ok());
  CHECK(ParseSshPublicKey("x").status().reason() == "invalid_ssh_key");
}
