// Request dates come from any client, before its signature is checked. A year
// the clock cannot hold (it counts nanoseconds in 64 bits: 1678-2262) once
// overflowed — undefined behaviour, found by tests/fuzz/http_request_fuzz;
// such a date is the far past or future it names, and answered as one.
#include <gtest/gtest.h>

#include "auth/sigv4.h"
#include "auth/sigv4_canonical.h"
#include "sigv4_test_util.h"

namespace fsgate::auth {
namespace {

using testing_util::ExampleTime;
using testing_util::ExampleUsers;
using testing_util::kAccessKey;
using testing_util::kEmptySha256;
using testing_util::Request;

TEST(SigV4Dates, YearsOutsideTheClockStayInThePastOrFuture) {
  const auto epoch = *sigv4::ParseAmzDate("19700101T000000Z");
  const auto now = ExampleTime();
  for (const char* text : {"10230524T000000Z", "00000101T000000Z", "16770101T000000Z"}) {
    const auto time = sigv4::ParseAmzDate(text);
    ASSERT_TRUE(time) << text;
    EXPECT_LT(*time, epoch) << text;
  }
  for (const char* text : {"99991231T235959Z", "22630101T000000Z"}) {
    const auto time = sigv4::ParseAmzDate(text);
    ASSERT_TRUE(time) << text;
    EXPECT_GT(*time, now + std::chrono::hours(24 * 365 * 100)) << text;
  }
  const auto http_date = sigv4::ParseHttpDate("Fri, 24 May 1023 00:00:00 GMT");
  ASSERT_TRUE(http_date);
  EXPECT_LT(*http_date, epoch);
}

TEST(SigV4Dates, FarYearIsTooSkewed) {
  const Request request{
      "GET",
      "/examplebucket/a.txt",
      {{"Host", "examplebucket.s3.amazonaws.com"},
       {"x-amz-date", "10230524T000000Z"},
       {"x-amz-content-sha256", kEmptySha256},
       {"Authorization", std::string("AWS4-HMAC-SHA256 Credential=") + kAccessKey +
                             "/10230524/us-east-1/s3/aws4_request,"
                             "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
                             "Signature=" +
                             std::string(64, '0')}}};
  const AuthResult result =
      Authenticate(request.view(), ExampleUsers(), ExampleTime(), "us-east-1");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_code, "RequestTimeTooSkewed");
}

}  // namespace
}  // namespace fsgate::auth
