// Percent-decoding of request targets.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fsgate::http {

// Decodes %XX escapes; `plus_is_space` for query components. Malformed
// escapes are kept literally.
std::string PercentDecode(std::string_view in, bool plus_is_space = false);

// True when every '%' in `in` starts a %XX escape. A request target with a
// stray '%' is refused (InvalidURI) rather than decoded literally: no client
// that encodes correctly sends one, and two readings of one name must not exist.
bool HasValidEscapes(std::string_view in);

// S3's URI encoding (SigV4 rules): unreserved A-Za-z0-9-._~ kept, everything
// else %XX upper case; '/' kept unless `encode_slash`.
std::string UriEncode(std::string_view in, bool encode_slash);

// Splits "path?query" into the decoded path and decoded query parameters.
void SplitTarget(std::string_view target, std::string& path,
                 std::vector<std::pair<std::string, std::string>>& query);

}  // namespace fsgate::http
