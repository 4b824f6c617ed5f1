// The escaping every log line applies to client-controlled text
// (fsclient/log_text.h), as the access log and the error logs use it.
#include "base/log_text.h"

#include <gtest/gtest.h>

#include <string>

namespace fsgate::fsclient {
namespace {

using namespace std::string_literals;

TEST(LogField, KeepsPrintableAsciiAndEncodesEverythingElse) {
  EXPECT_EQ(LogField("dir/key-1_2.txt~(a)+b=c"), "dir/key-1_2.txt~(a)+b=c");
  EXPECT_EQ(LogField("a\nb"), "a%0Ab");
  EXPECT_EQ(LogField("a\r\nGET x"), "a%0D%0AGET%20x");
  EXPECT_EQ(LogField("\x1b[31mred"), "%1B[31mred");
  EXPECT_EQ(LogField("nul\0here"s), "nul%00here");
  EXPECT_EQ(LogField("\x7f"), "%7F");
  EXPECT_EQ(LogField("say \"hi\" \\ 100%"), "say%20%22hi%22%20%5C%20100%25");
  EXPECT_EQ(LogField("caf\xc3\xa9"), "caf%C3%A9");
  EXPECT_EQ(LogField("\xff\xfe"), "%FF%FE");
}

TEST(LogField, EmptyIsADashAndADashStaysDistinct) {
  EXPECT_EQ(LogField(""), "-");
  EXPECT_EQ(LogField("-"), "%2D");
  EXPECT_EQ(LogField("--"), "--");
}

TEST(LogField, NeverHoldsASpaceOrALineBreak) {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  const std::string field = LogField(every_byte);
  for (char c : field) {
    EXPECT_GT(static_cast<unsigned char>(c), 0x20);
    EXPECT_LT(static_cast<unsigned char>(c), 0x7f);
  }
  EXPECT_EQ(field.size(), 256 + 2 * (256 - (0x7e - 0x21 + 1 - 3)));
}

TEST(LogText, KeepsSpacesOnly) {
  EXPECT_EQ(LogText("open failed: No such file"), "open failed: No such file");
  EXPECT_EQ(LogText("a\nforged line"), "a%0Aforged line");
  EXPECT_EQ(LogText(""), "");
}

TEST(ValidUtf8, KeepsWellFormedText) {
  const std::string text = "plain caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x01\n";
  EXPECT_EQ(ValidUtf8(text), text);
  EXPECT_EQ(ValidUtf8("\xef\xbf\xbd"), "\xef\xbf\xbd");
  EXPECT_EQ(ValidUtf8("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");  // U+10FFFF
}

TEST(ValidUtf8, ReplacesEachByteThatStartsNoCharacter) {
  const std::string r = "\xef\xbf\xbd";
  EXPECT_EQ(ValidUtf8("a\xff"
                      "b"),
            "a" + r + "b");
  EXPECT_EQ(ValidUtf8("\x80"), r);                          // stray continuation
  EXPECT_EQ(ValidUtf8("\xc0\xaf"), r + r);                  // overlong '/'
  EXPECT_EQ(ValidUtf8("\xe0\x80\xaf"), r + r + r);          // overlong, 3 bytes
  EXPECT_EQ(ValidUtf8("\xed\xa0\x80"), r + r + r);          // surrogate U+D800
  EXPECT_EQ(ValidUtf8("\xf4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(ValidUtf8("x\xe2\x82"), "x" + r + r);           // cut short
  EXPECT_EQ(ValidUtf8("\xc3"), r);
}

}  // namespace
}  // namespace fsgate::fsclient
