// What every fuzz target shares: the AWS documentation's example user and
// clock (the seeds are signed with them, so a seed passes authentication and
// its mutations reach the code behind it), and a check that aborts, so a
// broken invariant is a finding like a crash.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "auth/credentials.h"
#include "auth/sigv4_canonical.h"

namespace fsgate::fuzz {

inline constexpr char kAccessKey[] = "AKIAIOSFODNN7EXAMPLE";
inline constexpr char kSecretKey[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
inline constexpr char kAmzDate[] = "20130524T000000Z";
inline constexpr char kRegion[] = "us-east-1";

inline std::chrono::system_clock::time_point ExampleTime() {
  return *auth::sigv4::ParseAmzDate(kAmzDate);
}

inline const auth::CredentialStore& ExampleUsers() {
  static const auth::CredentialStore users = [] {
    auth::CredentialStore store;
    store.Add({.user = "example", .access_key = kAccessKey, .secret_key = kSecretKey});
    return store;
  }();
  return users;
}

[[noreturn]] inline void InvariantBroken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}

}  // namespace fsgate::fuzz

#define FUZZ_CHECK(cond) \
  ((cond) ? void(0) : ::fsgate::fuzz::InvariantBroken(#cond, __FILE__, __LINE__))
