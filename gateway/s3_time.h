// Time formats S3 speaks: ISO 8601 in XML, RFC 7231 dates in headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fsgate::gateway {

// "2009-10-12T17:50:30.000Z"
std::string FormatIso8601(int64_t unix_nanos);
// "Wed, 12 Oct 2009 17:50:30 GMT"
std::string FormatHttpDate(int64_t unix_nanos);
// RFC 7231 IMF-fixdate (also RFC 850 and asctime forms); seconds since the epoch.
std::optional<int64_t> ParseHttpDate(std::string_view text);

}  // namespace fsgate::gateway
