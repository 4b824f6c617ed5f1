// Test helpers: requests that own their strings, the AWS documentation's
// example user and clock.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "auth/sigv4.h"
#include "auth/sigv4_canonical.h"

namespace fsgate::auth::testing_util {

inline constexpr char kAccessKey[] = "AKIAIOSFODNN7EXAMPLE";
inline constexpr char kSecretKey[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
inline constexpr char kEmptySha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;

  RequestView view() const {
    RequestView v{.method = method, .target = target, .headers = {}};
    for (const auto& [name, value] : headers) v.headers.emplace_back(name, value);
    return v;
  }
  void Set(const std::string& name, const std::string& value) {
    for (auto& header : headers) {
      if (header.first == name) {
        header.second = value;
        return;
      }
    }
    headers.emplace_back(name, value);
  }
  void Remove(const std::string& name) {
    std::erase_if(headers, [&](const auto& header) { return header.first == name; });
  }
};

// 2013-05-24T00:00:00Z, the time of every S3 example in the AWS docs.
inline std::chrono::system_clock::time_point ExampleTime() {
  return *sigv4::ParseAmzDate("20130524T000000Z");
}

inline CredentialStore ExampleUsers() {
  CredentialStore users;
  users.Add(Credentials{.user = "example", .access_key = kAccessKey, .secret_key = kSecretKey});
  return users;
}

}  // namespace fsgate::auth::testing_util
