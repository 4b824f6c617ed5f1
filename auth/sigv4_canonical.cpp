#include "auth/sigv4_canonical.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "base/hash.h"
#include "base/percent_encoding.h"

namespace fsgate::auth::sigv4 {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte an escape at text[i] stands for, or -1 when text[i] is not a valid escape.
int EscapedByte(std::string_view text, size_t i) {
  if (text[i] != '%' || i + 2 >= text.size()) return -1;
  const int hi = HexDigit(text[i + 1]);
  const int lo = HexDigit(text[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Trimmed, with every inner run of whitespace as one space.
void AppendCollapsed(std::string& out, std::string_view value) {
  bool pending_space = false;
  bool any = false;
  for (char c : value) {
    if (IsSpace(c) || c == '\r' || c == '\n') {
      pending_space = any;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    any = true;
    out.push_back(c);
  }
}

bool ParseDigits(std::string_view text, size_t pos, size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

std::optional<std::chrono::system_clock::time_point> MakeTime(int year, int month, int day,
                                                              int hour, int minute, int second) {
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year(year),
                           std::chrono::month(static_cast<unsigned>(month)),
                           std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  // The clock counts nanoseconds in 64 bits (years 1678-2262): a year outside
  // that must not overflow. Clamped to years far from any "now", such a date
  // still gets its skew or expiry answer, and adding a week to it is safe.
  constexpr sys_days kEarliest = std::chrono::year(1700) / January / 1;
  constexpr sys_days kLatest = std::chrono::year(2200) / January / 1;
  const sys_seconds time = sys_days(ymd) + hours(hour) + minutes(minute) + seconds(second);
  return std::clamp<sys_seconds>(time, kEarliest, kLatest);
}

}  // namespace

std::string NormalizeEncoding(std::string_view text, UriPart part) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '%') {
      const int byte = EscapedByte(text, i);
      if (byte >= 0) {
        i += 2;
        // An escaped '/' stays escaped: only a literal '/' is kept.
        if (IsUnreserved(static_cast<unsigned char>(byte))) {
          out.push_back(static_cast<char>(byte));
        } else {
          AppendPercentEncoded(out, static_cast<unsigned char>(byte));
        }
        continue;
      }
    }
    if (IsUnreserved(c) || (part == UriPart::kPath && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else if (part == UriPart::kQuery && c == '+') {
      out += "%20";
    } else {
      AppendPercentEncoded(out, c);
    }
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int byte = text[i] == '%' ? EscapedByte(text, i) : -1;
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string CanonicalQuery(std::string_view raw_query, std::string_view exclude) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!raw_query.empty()) {
    const size_t amp = raw_query.find('&');
    const std::string_view param = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
    if (param.empty()) continue;
    const size_t eq = param.find('=');
    const std::string_view name = param.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
    if (!exclude.empty() && PercentDecode(name) == exclude) continue;
    params.emplace_back(NormalizeEncoding(name, UriPart::kQuery),
                        NormalizeEncoding(value, UriPart::kQuery));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string CanonicalHeaders(const HeaderList& headers, std::string_view signed_headers) {
  // Sized once for every header being signed: grown piece by piece, it was
  // reallocated several times per request.
  size_t size = signed_headers.size() + 1;
  for (const auto& [header, value] : headers) size += header.size() + value.size() + 2;
  std::string out;
  out.reserve(size);
  while (!signed_headers.empty()) {
    const size_t semi = signed_headers.find(';');
    const std::string_view name = signed_headers.substr(0, semi);
    signed_headers =
        semi == std::string_view::npos ? std::string_view{} : signed_headers.substr(semi + 1);
    for (char c : name) out.push_back(Lower(c));
    out.push_back(':');
    bool first = true;
    for (const auto& [header, value] : headers) {
      if (!EqualsIgnoreCase(header, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendCollapsed(out, value);
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(const CanonicalRequestParts& parts) {
  const size_t question = parts.target.find('?');
  const std::string_view path = parts.target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : parts.target.substr(question + 1);
  const std::string canonical_headers = CanonicalHeaders(*parts.headers, parts.signed_headers);
  std::string out;
  out.reserve(parts.method.size() + parts.target.size() + canonical_headers.size() +
              parts.signed_headers.size() + parts.payload_hash.size() + 64);
  out.append(parts.method).push_back('\n');
  if (parts.target_as_sent) {
    out.append(path).push_back('\n');
    out.append(query).push_back('\n');
  } else {
    out.append(NormalizeEncoding(path.empty() ? "/" : path, UriPart::kPath)).push_back('\n');
    out.append(CanonicalQuery(query, parts.exclude_query_parameter)).push_back('\n');
  }
  out.append(canonical_headers).push_back('\n');
  for (char c : parts.signed_headers) out.push_back(Lower(c));
  out.push_back('\n');
  out.append(parts.payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out;
  out.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 3 + 2 * 32);
  out.append(kAlgorithm).push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out.append(HexEncode(Digest(HashAlgorithm::kSha256, canonical_request)));
  return out;
}

std::string SigningKey(std::string_view secret_key, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string key = HmacSha256("AWS4" + std::string(secret_key), date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, "aws4_request");
}

std::string Signature(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

std::string FormatAmzDate(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(time);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf.data();
}

std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text) {
  int y, mo, d, h, mi, s;
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z' || !ParseDigits(text, 0, 4, y) ||
      !ParseDigits(text, 4, 2, mo) || !ParseDigits(text, 6, 2, d) || !ParseDigits(text, 9, 2, h) ||
      !ParseDigits(text, 11, 2, mi) || !ParseDigits(text, 13, 2, s)) {
    return std::nullopt;
  }
  return MakeTime(y, mo, d, h, mi, s);
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text) {
  if (auto iso = ParseAmzDate(text)) return iso;
  // "Fri, 24 May 2013 00:00:00 GMT", or "... +0000" as SigV2 clients (and
  // AWS's SigV2 examples) spell UTC.
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const size_t comma = text.find(", ");
  if (comma == std::string_view::npos) return std::nullopt;
  const std::string_view rest = text.substr(comma + 2);  // "24 May 2013 00:00:00 GMT"
  const std::string_view zone = rest.size() < 20 ? std::string_view{} : rest.substr(20);
  int d, y, h, mi, s;
  if (rest.size() < 20 || rest[2] != ' ' || rest[6] != ' ' || rest[11] != ' ' || rest[14] != ':' ||
      rest[17] != ':' || (zone != " GMT" && zone != " +0000") || !ParseDigits(rest, 0, 2, d) ||
      !ParseDigits(rest, 7, 4, y) || !ParseDigits(rest, 12, 2, h) ||
      !ParseDigits(rest, 15, 2, mi) || !ParseDigits(rest, 18, 2, s)) {
    return std::nullopt;
  }
  const auto month = std::find(kMonths.begin(), kMonths.end(), rest.substr(3, 3));
  if (month == kMonths.end()) return std::nullopt;
  return MakeTime(y, static_cast<int>(month - kMonths.begin()) + 1, d, h, mi, s);
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // Most names compared here are lower-case on both sides already (header
  // names as parsed, SigV4's SignedHeaders): one memcmp decides those, where
  // the byte-by-byte folding cost a signed request 2,100 instructions (callgrind).
  if (a == b) return true;
  return std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<std::string_view> FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [header, value] : headers) {
    if (EqualsIgnoreCase(header, name)) return Trim(value);
  }
  return std::nullopt;
}

}  // namespace fsgate::auth::sigv4
