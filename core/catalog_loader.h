// Reads the catalog file: the region this deployment serves, its zones, and the GPU types,
// instance types and images it offers (deploy/catalog.yaml is the shipped example).
// Thread-safety: free function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gaon/model/compute.h"
#include "gaon/status.h"

namespace gaon {

// InvalidArgument naming the entry and field on a malformed file, a duplicate id, a zone of
// another region, or an instance type or image naming an unknown GPU type.
StatusOr<Catalog> LoadCatalog(const std::string& path);

// The inference runtimes Gaon knows: vllm, tgi, triton.
bool IsModelRuntime(std::string_view runtime);

// A non-negative decimal as money and rates are written: digits, optionally '.' and digits
// (at most 18 before the point and 12 after). No sign, exponent or separators.
bool IsDecimalAmount(std::string_view s);

// The SKUs Gaon rates: gpu-hour.<gpu type>, endpoint-replica-hour.<gpu type> (unit gpu-hour),
// tokens-input.<model> and tokens-output.<model> (unit million-tokens). The unit a SKU must
// have, or nullopt for an unknown SKU shape.
std::optional<std::string> SkuUnit(std::string_view sku);

}  // namespace gaon
