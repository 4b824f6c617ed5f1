// User metadata values that are not US-ASCII, as S3 carries them in HTTP
// headers: RFC 2047 "encoded words". S3 decodes encoded words on the way in
// (so `=?UTF-8?B?w6k=?=` is stored as "é") and encodes any value holding a
// byte over 0x7F on the way out, so a header never carries raw UTF-8 that a
// client's HTTP stack would read as Latin-1.
#pragma once

#include <string>
#include <string_view>

namespace fsgate::gateway {

// The value with every well-formed UTF-8 or US-ASCII encoded word (B or Q)
// replaced by its bytes; whitespace between two adjacent encoded words is
// dropped as RFC 2047 §6.2 says. Anything else is kept as sent.
std::string DecodeMimeWords(std::string_view value);

// The value as one `=?UTF-8?B?…?=` word when it holds a byte over 0x7E or a
// control byte other than tab; as it is otherwise.
std::string EncodeMimeWord(std::string_view value);

}  // namespace fsgate::gateway
