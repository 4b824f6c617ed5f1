// Test helper: a bucket policy of the bucket "photos", parsed or failed.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "auth/policy.h"

namespace fsgate::auth::testing_util {

inline constexpr std::string_view kBucket = "photos";

inline BucketPolicy Parse(const std::string& text) {
  auto policy = ParseBucketPolicy(text, kBucket);
  EXPECT_TRUE(policy.ok()) << policy.status().message();
  return policy.ok() ? *policy : BucketPolicy{};
}

}  // namespace fsgate::auth::testing_util
