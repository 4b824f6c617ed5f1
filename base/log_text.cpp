#include "base/log_text.h"

#include "base/utf8.h"

#include <cstdint>

#include "base/percent_encoding.h"

namespace fsgate {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool Kept(unsigned char c, bool keep_space) {
  if (c == ' ') return keep_space;
  return c >= 0x21 && c <= 0x7E && c != '%' && c != '"' && c != '\\';
}

// Runs of kept bytes are appended whole: a push_back per byte (its capacity
// check each time) cost a GET's access log line 2,200 instructions.
void AppendEscaped(std::string& out, std::string_view text, bool keep_space) {
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (Kept(c, keep_space)) continue;
    out.append(text.data() + run, i - run);
    AppendPercentEncoded(out, c);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

}  // namespace

std::string LogField(std::string_view text) {
  std::string out;
  AppendLogField(out, text);
  return out;
}

void AppendLogField(std::string& out, std::string_view text) {
  if (text.empty()) {
    out += '-';
  } else if (text == "-") {
    out += "%2D";
  } else {
    out.reserve(out.size() + text.size());
    AppendEscaped(out, text, false);
  }
}

std::string LogText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEscaped(out, text, true);
  return out;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    uint32_t code_point = 0;
    const size_t n = DecodeUtf8(text, code_point);
    if (n == 0) {
      out.append(kReplacement);
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, n));
      text.remove_prefix(n);
    }
  }
  return out;
}

}  // namespace fsgate
