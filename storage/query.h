// Query inputs shared by list operations: keyset pagination and label selectors.
// Thread-safety: plain values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gaon::storage {

// Kubernetes-style label selector: `env=prod,team!=ml,gpu,!spot`.
struct LabelSelector {
  std::map<std::string, std::string> equals;
  std::map<std::string, std::string> not_equals;
  std::vector<std::string> exists;
  std::vector<std::string> not_exists;
  bool empty() const { return equals.empty() && not_equals.empty() && exists.empty() && not_exists.empty(); }
};

struct ListQuery {
  int page_size = 50;                 // 1..1000
  std::optional<std::string> after;   // resume after this id (from the page token)
  LabelSelector labels;
};

}  // namespace gaon::storage
