// A header field value with a CR or LF would split a response.
#include <gtest/gtest.h>

#include "http/http_message.h"

namespace fsgate::http {
namespace {

TEST(HeaderValueTest, ControlCharactersButTabAreRefused) {
  EXPECT_TRUE(IsValidHeaderValue(""));
  EXPECT_TRUE(IsValidHeaderValue("attachment; filename=\"a b.txt\""));
  EXPECT_TRUE(IsValidHeaderValue("text/plain\tcharset=utf-8"));
  EXPECT_TRUE(IsValidHeaderValue("r\xC3\xA9sum\xC3\xA9"));  // obs-text
  for (std::string bad : {"a\r\nSet-Cookie: x", "a\nb", "a\rb", "a\x7f", "\x1b[31m"}) {
    EXPECT_FALSE(IsValidHeaderValue(bad)) << bad;
  }
  EXPECT_FALSE(IsValidHeaderValue(std::string("a\0b", 3)));
}

// Checked eight bytes a step: every byte value, at every place of a value
// longer than a step and in its tail, is judged as it is alone.
TEST(HeaderValueTest, EveryByteIsJudgedWherever) {
  for (int c = 0; c < 256; ++c) {
    const bool control = (c < 0x20 && c != '\t') || c == 0x7f;
    for (size_t at = 0; at < 19; ++at) {
      std::string value(19, 'a');
      value[at] = static_cast<char>(c);
      EXPECT_EQ(IsValidHeaderValue(value), !control) << "byte " << c << " at " << at;
    }
  }
  EXPECT_TRUE(IsValidHeaderValue(std::string(64, '\t')));
  EXPECT_TRUE(IsValidHeaderValue(std::string(64, '\x80')));
  EXPECT_TRUE(IsValidHeaderValue(std::string(64, '\xff')));
}

}  // namespace
}  // namespace fsgate::http
