#include "gateway/mime_words.h"

#include <algorithm>
#include <optional>

#include "base/hash.h"

namespace fsgate::gateway {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2047 §4.2: "_" is a space, "=XX" a byte.
std::optional<std::string> DecodeQ(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') {
      out += ' ';
    } else if (c == '=') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// One encoded word at the start of `text`: its decoded bytes and its length.
std::optional<std::pair<std::string, size_t>> DecodeWord(std::string_view text) {
  if (!text.starts_with("=?")) return std::nullopt;
  size_t charset_end = text.find('?', 2);
  if (charset_end == std::string_view::npos || charset_end + 2 >= text.size() ||
      text[charset_end + 2] != '?') {
    return std::nullopt;
  }
  size_t end = text.find("?=", charset_end + 3);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view charset = text.substr(2, charset_end - 2);
  if (!EqualsNoCase(charset, "UTF-8") && !EqualsNoCase(charset, "US-ASCII")) return std::nullopt;
  char encoding =
      static_cast<char>(std::toupper(static_cast<unsigned char>(text[charset_end + 1])));
  std::string_view payload = text.substr(charset_end + 3, end - charset_end - 3);
  std::optional<std::string> bytes;
  if (encoding == 'B') {
    bytes = Base64Decode(payload);
  } else if (encoding == 'Q') {
    bytes = DecodeQ(payload);
  }
  if (!bytes) return std::nullopt;
  return std::make_pair(std::move(*bytes), end + 2);
}

}  // namespace

std::string DecodeMimeWords(std::string_view value) {
  std::string out;
  bool after_word = false;
  size_t i = 0;
  while (i < value.size()) {
    if (auto word = DecodeWord(value.substr(i))) {
      out += word->first;
      i += word->second;
      after_word = true;
      continue;
    }
    if (after_word && (value[i] == ' ' || value[i] == '\t')) {
      size_t next = value.find_first_not_of(" \t", i);
      if (next != std::string_view::npos && DecodeWord(value.substr(next))) {
        i = next;  // whitespace between two encoded words is not part of the text
        continue;
      }
    }
    out += value[i++];
    after_word = false;
  }
  return out;
}

std::string EncodeMimeWord(std::string_view value) {
  // A decoded word may hold control bytes too (even CR LF): they leave encoded,
  // never raw, so no stored value can split or forge a response header.
  bool printable = std::all_of(value.begin(), value.end(), [](char c) {
    auto b = static_cast<unsigned char>(c);
    return b == '\t' || (b >= 0x20 && b < 0x7F);
  });
  if (printable) return std::string(value);
  return "=?UTF-8?B?" + Base64Encode(value) + "?=";
}

}  // namespace fsgate::gateway
