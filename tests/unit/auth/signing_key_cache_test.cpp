#include "auth/signing_key_cache.h"

#include <gtest/gtest.h>

#include "auth/sigv4_canonical.h"
#include "base/hash.h"

namespace fsgate::auth {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// AWS's published signing key for this secret and scope (the SigV4 examples).
TEST(SigningKeyCache, MissAndHitGiveTheDerivedKey) {
  SigningKeyCache cache;
  const std::string expected = "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378";
  EXPECT_EQ(HexEncode(cache.Get(kSecret, "20130524", "us-east-1", "s3")), expected);
  EXPECT_EQ(HexEncode(cache.Get(kSecret, "20130524", "us-east-1", "s3")), expected);
  EXPECT_EQ(cache.size(), 1u);
}

// Each of the four inputs is part of the entry: changing any one gives that
// scope's own key, never the cached one.
TEST(SigningKeyCache, EveryInputSelectsItsOwnKey) {
  SigningKeyCache cache;
  const std::string base = cache.Get(kSecret, "20130524", "us-east-1", "s3");
  struct Case {
    std::string secret, date, region, service;
  };
  const Case cases[] = {{std::string(kSecret) + "x", "20130524", "us-east-1", "s3"},
                        {std::string(kSecret), "20130525", "us-east-1", "s3"},
                        {std::string(kSecret), "20130524", "eu-west-1", "s3"},
                        {std::string(kSecret), "20130524", "us-east-1", "s4"},
                        // The fields are not joined: moving a byte between them is another entry.
                        {std::string(kSecret) + "2", "0130524", "us-east-1", "s3"}};
  for (const auto& c : cases) {
    const std::string key = cache.Get(c.secret, c.date, c.region, c.service);
    EXPECT_NE(key, base);
    EXPECT_EQ(key, sigv4::SigningKey(c.secret, c.date, c.region, c.service));
  }
  EXPECT_EQ(cache.Get(kSecret, "20130524", "us-east-1", "s3"), base);
}

TEST(SigningKeyCache, StaysBoundedAndCorrectPastItsCapacity) {
  SigningKeyCache cache;
  for (size_t i = 0; i < SigningKeyCache::kCapacity * 2 + 3; ++i) {
    const std::string region = "region-" + std::to_string(i);
    ASSERT_EQ(cache.Get(kSecret, "20130524", region, "s3"),
              sigv4::SigningKey(kSecret, "20130524", region, "s3"));
    ASSERT_LE(cache.size(), SigningKeyCache::kCapacity);
  }
  EXPECT_EQ(cache.Get(kSecret, "20130524", "region-0", "s3"),
            sigv4::SigningKey(kSecret, "20130524", "region-0", "s3"));
}

}  // namespace
}  // namespace fsgate::auth
