// ISO reference data: country codes (ISO 3166-1 alpha-2) for jurisdictions and currencies
// (ISO 4217) with their minor units, which decide where money is rounded.
// Thread-safety: constant tables.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace gaon {

// True for an officially assigned ISO 3166-1 alpha-2 code ("KR", "TH", …).
bool IsCountryCode(std::string_view code);
// Minor units of an active ISO 4217 currency (KRW 0, USD 2, BHD 3), or nullopt.
std::optional<int> CurrencyMinorUnits(std::string_view code);
// Every active ISO 4217 currency with its minor units (loaded into the database at start).
std::span<const std::pair<std::string_view, int>> Currencies();

}  // namespace gaon
