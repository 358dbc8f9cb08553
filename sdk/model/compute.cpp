#include "gaon/model/compute.h"

#include <array>
#include <utility>

namespace gaon {
namespace {

constexpr std::array<std::pair<QuotaRequestState, std::string_view>, 4> kStates{{
    {QuotaRequestState::kPending, "pending"},
    {QuotaRequestState::kApproved, "approved"},
    {QuotaRequestState::kDenied, "denied"},
    {QuotaRequestState::kCancelled, "cancelled"},
}};

}  // namespace

std::string_view ToString(QuotaRequestState v) {
  for (const auto& [e, name] : kStates) {
    if (e == v) return name;
  }
  return "unknown";
}

bool FromString(std::string_view s, QuotaRequestState* out) {
  for (const auto& [e, name] : kStates) {
    if (name == s) {
      *out = e;
      return true;
    }
  }
  return false;
}

}  // namespace gaon
