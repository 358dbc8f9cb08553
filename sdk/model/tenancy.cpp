#include "gaon/model/tenancy.h"

#include <array>
#include <utility>

namespace gaon {
namespace {

template <typename E, std::size_t N>
bool Lookup(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s, E* out) {
  for (const auto& [e, name] : table) {
    if (name == s) {
      *out = e;
      return true;
    }
  }
  return false;
}

template <typename E, std::size_t N>
std::string_view Name(const std::array<std::pair<E, std::string_view>, N>& table, E v) {
  for (const auto& [e, name] : table) {
    if (e == v) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<TenantStatus, std::string_view>, 3> kTenantStatus{{
    {TenantStatus::kActive, "active"}, {TenantStatus::kSuspended, "suspended"}, {TenantStatus::kDeleted, "deleted"}}};
constexpr std::array<std::pair<Role, std::string_view>, 5> kRoles{{{Role::kPlatformAdmin, "platform-admin"},
                                                                   {Role::kTenantAdmin, "tenant-admin"},
                                                                   {Role::kTenantMember, "tenant-member"},
                                                                   {Role::kTenantViewer, "tenant-viewer"},
                                                                   {Role::kBillingViewer, "billing-viewer"}}};
constexpr std::array<std::pair<UserStatus, std::string_view>, 2> kUserStatus{
    {{UserStatus::kActive, "active"}, {UserStatus::kDisabled, "disabled"}}};

}  // namespace

std::string_view ToString(TenantStatus v) { return Name(kTenantStatus, v); }
bool FromString(std::string_view s, TenantStatus* out) { return Lookup(kTenantStatus, s, out); }
std::string_view ToString(Role v) { return Name(kRoles, v); }
bool FromString(std::string_view s, Role* out) { return Lookup(kRoles, s, out); }
std::string_view ToString(UserStatus v) { return Name(kUserStatus, v); }
bool FromString(std::string_view s, UserStatus* out) { return Lookup(kUserStatus, s, out); }

bool IsTenantRole(Role r) { return r != Role::kPlatformAdmin; }

}  // namespace gaon
