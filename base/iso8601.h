// ISO 8601 timestamps in UTC as the SDKs write them in XML, JSON and the
// x-amz-object-lock-retain-until-date header: "2030-01-01T00:00:00Z", or
// with a fraction of a second, "…:00.000Z".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fsgate {

// Seconds since the epoch (the fraction dropped); nullopt for any other form.
std::optional<int64_t> ParseIso8601Seconds(std::string_view text);

}  // namespace fsgate
