#include "gateway/mime_words.h"

#include <gtest/gtest.h>

namespace fsgate::gateway {
namespace {

TEST(MimeWords, DecodesBase64AndQuotedPrintableWords) {
  EXPECT_EQ(DecodeMimeWords("=?UTF-8?B?w6l0w6k=?="), "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(DecodeMimeWords("=?utf-8?q?caf=C3=A9_au_lait?="), "caf\xc3\xa9 au lait");
  EXPECT_EQ(DecodeMimeWords("=?US-ASCII?Q?plain?="), "plain");
}

TEST(MimeWords, DropsWhitespaceOnlyBetweenAdjacentWords) {
  EXPECT_EQ(DecodeMimeWords("=?UTF-8?Q?a?= =?UTF-8?Q?b?="), "ab");
  EXPECT_EQ(DecodeMimeWords("x =?UTF-8?Q?a?= y"), "x a y");
}

TEST(MimeWords, KeepsWhatIsNotAWellFormedUtf8Word) {
  for (const char* v :
       {"plain text", "=?UTF-8?B?not base64!?=", "=?ISO-8859-1?Q?caf=E9?=", "=?UTF-8?Q?bad=Z1?=",
        "=?UTF-8?Q?cut=4?=", "=?UTF-8?X?x?=", "=?", "=?UTF-8?B?"}) {
    EXPECT_EQ(DecodeMimeWords(v), v) << v;
  }
}

TEST(MimeWords, EncodesOnlyWhatAHeaderCannotCarryRaw) {
  EXPECT_EQ(EncodeMimeWord("plain, with\ttab"), "plain, with\ttab");
  EXPECT_EQ(EncodeMimeWord("\xc3\xa9"), "=?UTF-8?B?w6k=?=");
  // A decoded CR LF must never reach a header raw.
  EXPECT_EQ(EncodeMimeWord("a\r\nX-Forged: 1"), "=?UTF-8?B?YQ0KWC1Gb3JnZWQ6IDE=?=");
  EXPECT_EQ(EncodeMimeWord("\x04"), "=?UTF-8?B?BA==?=");
}

TEST(MimeWords, EncodedValuesDecodeBackToTheirBytes) {
  for (const char* v : {"\xc3\xa9t\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "a\r\nb"}) {
    EXPECT_EQ(DecodeMimeWords(EncodeMimeWord(v)), v);
  }
}

}  // namespace
}  // namespace fsgate::gateway
