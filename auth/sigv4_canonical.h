// The building blocks of SigV4 shared by the verifier (Authenticate), the
// client-side signer (SignRequest) and the tests that check them against
// AWS's published vectors: canonical request, string to sign, signing key.
// Internal to auth/; the gateway uses auth/sigv4.h.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fsgate::auth::sigv4 {

using HeaderList = std::vector<std::pair<std::string_view, std::string_view>>;

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// How far a signed request's time may be from the server's clock (SigV4 and
// the SigV2 header alike), as S3 allows: RequestTimeTooSkewed beyond.
inline constexpr std::chrono::minutes kMaxSkew{15};
// InvalidArgument's message for a request signed both in the Authorization
// header and in the query string.
inline constexpr std::string_view kOneAuthMechanism =
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
    "string parameter or the Authorization header should be specified";

// Where received text sits decides what two literal bytes mean, as S3 (and the
// gateway's router) read them: in the path '/' is a boundary and '+' a plus;
// in a query name or value '/' is data and '+' a space.
enum class UriPart { kPath, kQuery };

// AWS's UriEncode of already-received text: every %XX escape is decoded and
// every byte re-emitted in canonical form — unreserved bytes (A-Za-z0-9-._~)
// literally, a literal '/' of a path literally, everything else as upper-case
// %XX. So "%7e" becomes "~", " " becomes "%20", a path's "!" becomes "%21",
// a query's "+" becomes "%20", and an escaped "%2F" in a path stays escaped
// (it is part of a key, not a boundary). The canonical form thus names the
// decoded bytes the router hands the handlers, however the client escaped them.
std::string NormalizeEncoding(std::string_view text, UriPart part);
// Plain percent-decoding ('+' stays '+'); a malformed escape is kept literally.
std::string PercentDecode(std::string_view text);

// Canonical query string: each name and value normalised (UriPart::kQuery),
// parameters sorted by encoded name then value, a parameter without '=' given
// an empty value ("location" -> "location="); `exclude` (e.g.
// X-Amz-Signature) is left out.
std::string CanonicalQuery(std::string_view raw_query, std::string_view exclude = {});

// ASCII case folding and blank trimming, as SigV2 and SigV4 compare names
// and values.
std::string ToLower(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string_view Trim(std::string_view text);  // spaces and tabs at both ends
// The first header called `name` (any case), trimmed; nullopt when absent.
std::optional<std::string_view> FindHeader(const HeaderList& headers, std::string_view name);

// Canonical headers block (each "name:value\n") for the ';'-separated
// `signed_headers`: values trimmed, inner whitespace runs collapsed to one
// space, repeated headers joined with ','. A signed header that is absent
// contributes an empty value (and so a signature mismatch).
std::string CanonicalHeaders(const HeaderList& headers, std::string_view signed_headers);

struct CanonicalRequestParts {
  std::string_view method;
  std::string_view target;  // raw path, then '?' and the raw query
  const HeaderList* headers = nullptr;
  std::string_view signed_headers;  // "host;x-amz-date"
  std::string_view payload_hash;    // hex SHA-256, UNSIGNED-PAYLOAD or STREAMING-…
  std::string_view exclude_query_parameter;
  // The path and query exactly as received instead of their canonical forms:
  // what curl before 8.x signs (no escaping, no sorting, no "name=").
  bool target_as_sent = false;
};
std::string CanonicalRequest(const CanonicalRequestParts& parts);

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// Raw HMAC chain key for `date` (YYYYMMDD), region and service.
std::string SigningKey(std::string_view secret_key, std::string_view date, std::string_view region,
                       std::string_view service);
// Lower-case hex HMAC-SHA256 of `string_to_sign` with `signing_key`.
std::string Signature(std::string_view signing_key, std::string_view string_to_sign);

// "20130524T000000Z" <-> time point (UTC). ParseHttpDate also accepts RFC 1123
// ("Fri, 24 May 2013 00:00:00 GMT"), as the Date header carries it.
std::string FormatAmzDate(std::chrono::system_clock::time_point time);
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text);
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

}  // namespace fsgate::auth::sigv4
