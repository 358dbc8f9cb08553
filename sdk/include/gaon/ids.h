// Typed resource ids: a readable prefix and a time-ordered body ("inst_06bq0z2k5d8h3m4n7p9r1s2t3v").
//
// The body is 26 lowercase Crockford base32 characters: 48 bits of Unix milliseconds followed
// by 80 random bits, so ids sort by creation time as plain strings (keyset pagination relies on
// this) and are unguessable enough that one tenant cannot enumerate another's.
// Ids are types, not strings: a function that wants a TenantId cannot be handed an InstanceId.
// Thread-safety: Generate() is safe to call from any thread.
#pragma once

#include <chrono>
#include <compare>
#include <string>
#include <string_view>

#include "gaon/status.h"

namespace gaon {

inline constexpr std::size_t kIdBodyLength = 26;

// Returns a new body (26 chars) for the given time.
std::string NewIdBody(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// True when `s` is `prefix` + "_" + a well-formed body.
bool IsWellFormedId(std::string_view s, std::string_view prefix);
// The creation time encoded in a well-formed id's body.
std::chrono::system_clock::time_point IdTime(std::string_view id);

template <typename Tag>
class Id {
 public:
  Id() = default;
  static constexpr std::string_view prefix() { return Tag::kPrefix; }

  static Id Generate() { return Id(std::string(Tag::kPrefix) + "_" + NewIdBody()); }
  // InvalidArgument (reason "invalid_id") unless `s` is a well-formed id of this kind.
  static StatusOr<Id> Parse(std::string_view s) {
    if (!IsWellFormedId(s, Tag::kPrefix)) {
      return InvalidArgument("'" + std::string(s.substr(0, 64)) + "' is not a valid " +
                                 std::string(Tag::kPrefix) + "_ id",
                             "invalid_id");
    }
    return Id(std::string(s));
  }
  // Wraps a value already known to be valid (read back from the database).
  static Id FromTrusted(std::string s) { return Id(std::move(s)); }

  const std::string& str() const { return v_; }
  bool empty() const { return v_.empty(); }
  auto operator<=>(const Id&) const = default;

 private:
  explicit Id(std::string v) : v_(std::move(v)) {}
  std::string v_;
};

#define GAON_DEFINE_ID(Name, Prefix)                          \
  struct Name##Tag {                                           \
    static constexpr std::string_view kPrefix = Prefix;        \
  };                                                           \
  using Name = Id<Name##Tag>

GAON_DEFINE_ID(TenantId, "ten");
GAON_DEFINE_ID(UserId, "usr");
GAON_DEFINE_ID(MembershipId, "mem");
GAON_DEFINE_ID(ApiKeyId, "key");
GAON_DEFINE_ID(SessionId, "ses");
GAON_DEFINE_ID(SshKeyId, "ssh");
GAON_DEFINE_ID(InstanceId, "inst");
GAON_DEFINE_ID(EndpointId, "ep");
GAON_DEFINE_ID(ReplicaId, "rep");
GAON_DEFINE_ID(ModelId, "mdl");
GAON_DEFINE_ID(NodeId, "node");
GAON_DEFINE_ID(AuditEventId, "aud");
GAON_DEFINE_ID(QuotaRequestId, "qr");
GAON_DEFINE_ID(InvoiceId, "inv");
GAON_DEFINE_ID(CreditId, "crd");
GAON_DEFINE_ID(BudgetId, "bud");
GAON_DEFINE_ID(ExportId, "exp");
GAON_DEFINE_ID(RequestId, "req");

}  // namespace gaon
