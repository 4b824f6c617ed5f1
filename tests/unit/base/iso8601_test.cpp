#include "base/iso8601.h"

#include <gtest/gtest.h>

namespace fsgate {
namespace {

TEST(Iso8601Test, ParsesTheFormsTheSdksWrite) {
  EXPECT_EQ(ParseIso8601Seconds("2030-01-01T00:00:00Z"), 1893456000);
  EXPECT_EQ(ParseIso8601Seconds("2030-01-01T00:00:00.999Z"), 1893456000);  // fraction dropped
  EXPECT_EQ(ParseIso8601Seconds("2030-01-01T00:00:00.123456Z"), 1893456000);
  EXPECT_EQ(ParseIso8601Seconds("1970-01-01T00:00:01Z"), 1);
}

TEST(Iso8601Test, RefusesEverythingElse) {
  for (const char* text : {"", "2030-01-01", "2030-01-01T00:00:00", "2030-01-01T00:00:00+02:00",
                           "2030-01-01T00:00:00Zjunk", "Wed, 01 Jan 2030 00:00:00 GMT"}) {
    EXPECT_FALSE(ParseIso8601Seconds(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace fsgate
