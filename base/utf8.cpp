#include "base/utf8.h"

namespace fsgate {

bool IsValidUtf8(std::string_view text) {
  uint32_t code_point = 0;
  for (size_t i = 0, n = 0; i < text.size(); i += n) {
    n = DecodeUtf8(text.substr(i), code_point);
    if (n == 0) return false;
  }
  return true;
}

size_t DecodeUtf8(std::string_view text, uint32_t& code_point) {
  if (text.empty()) return 0;
  auto c = static_cast<unsigned char>(text[0]);
  size_t len;
  uint32_t cp;
  if (c < 0x80) {
    code_point = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    auto cc = static_cast<unsigned char>(text[k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  code_point = cp;
  return len;
}

}  // namespace fsgate
