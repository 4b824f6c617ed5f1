// UTF-8 as S3 keys, metadata and log text need it: strict decoding (no
// overlongs, no surrogates, nothing past U+10FFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fsgate {

// True when `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);
// Decodes the UTF-8 sequence at the start of `text` into `code_point`: its
// length, or 0 when it is not well-formed (overlong, surrogate, past
// U+10FFFF, cut short, or not a lead byte).
size_t DecodeUtf8(std::string_view text, uint32_t& code_point);

}  // namespace fsgate
