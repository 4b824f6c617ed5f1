#include "gateway/url.h"

#include "base/hash.h"
#include "base/percent_encoding.h"

namespace fsgate::gateway {

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = HexDigitValue(in[i + 1]);
      int lo = HexDigitValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

bool HasValidEscapes(std::string_view in) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') continue;
    if (i + 2 >= in.size() || HexDigitValue(in[i + 1]) < 0 || HexDigitValue(in[i + 2]) < 0)
      return false;
    i += 2;
  }
  return true;
}

std::string UriEncode(std::string_view in, bool encode_slash) {
  std::string out;
  out.reserve(in.size() * 3 / 2);
  for (unsigned char c : in) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      AppendPercentEncoded(out, c);
    }
  }
  return out;
}

void SplitTarget(std::string_view target, std::string& path,
                 std::vector<std::pair<std::string, std::string>>& query) {
  auto qpos = target.find('?');
  path = PercentDecode(target.substr(0, qpos));
  query.clear();
  if (qpos == std::string_view::npos) return;
  std::string_view rest = target.substr(qpos + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    if (!part.empty()) {
      auto eq = part.find('=');
      std::string name = PercentDecode(part.substr(0, eq), true);
      std::string value =
          eq == std::string_view::npos ? "" : PercentDecode(part.substr(eq + 1), true);
      query.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

}  // namespace fsgate::gateway
