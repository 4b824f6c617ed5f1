// Client-controlled text (bucket names, keys, header values, messages that
// echo them) made safe for a log line. Every log line that carries such text
// goes through these two functions, so that no request can forge a line,
// inject terminal escapes, or make a JSON line unparsable.
#pragma once

#include <string>
#include <string_view>

namespace fsgate {

// One field of a text log line, as one token that cannot end the line: the
// bytes 0x21..0x7E are kept, except '%', '"' and '\'; every other byte
// (controls, space, DEL, each byte of a non-ASCII character, '%', '"', '\')
// becomes %XX, upper case. The rule is AWS's server access log key encoding
// made strict: decoding %XX gives back the exact bytes, and a field never
// holds a space, so fields split on spaces. An empty field is "-", and a
// field that is "-" itself is written "%2D" so the two stay apart.
std::string LogField(std::string_view text);
// LogField(text) appended to `out`, with no string of its own.
void AppendLogField(std::string& out, std::string_view text);

// Free text at the end of a log line (an error message that may echo a key):
// LogField's rule with spaces kept, for reading; it still cannot end the line.
std::string LogText(std::string_view text);

// The text as valid UTF-8 for a JSON string: each byte that does not start a
// well-formed UTF-8 sequence of a Unicode scalar value (stray continuation,
// overlong form, surrogate, above U+10FFFF, cut short) becomes U+FFFD. The
// JSON writer escapes the control characters.
std::string ValidUtf8(std::string_view text);

}  // namespace fsgate
