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

}  // namespace
}  // namespace fsgate::http
