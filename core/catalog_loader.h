// Reads the catalog file: the region this deployment serves, its zones, and the GPU types,
// instance types and images it offers (deploy/catalog.yaml is the shipped example).
// Thread-safety: free function.
#pragma once

#include <string>

#include "gaon/model/compute.h"
#include "gaon/status.h"

namespace gaon {

// InvalidArgument naming the entry and field on a malformed file, a duplicate id, a zone of
// another region, or an instance type or image naming an unknown GPU type.
StatusOr<Catalog> LoadCatalog(const std::string& path);

// The inference runtimes Gaon knows: vllm, tgi, triton.
bool IsModelRuntime(std::string_view runtime);

}  // namespace gaon
