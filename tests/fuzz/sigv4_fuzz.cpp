// SigV4 verification on hostile input: Authorization headers, presigned
// query strings, dates, and the canonicalisation of targets and queries.
//
// Input: "METHOD\nTARGET\nname: value\n..." — the request line and headers,
// as the HTTP layer would hand them over (so the seeds stay readable).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/sigv4.h"
#include "auth/sigv4_canonical.h"
#include "fuzz_common.h"

namespace {

using namespace fsgate;
namespace sigv4 = auth::sigv4;

std::string_view NextLine(std::string_view& in) {
  const size_t newline = in.find('\n');
  std::string_view line = in.substr(0, newline);
  in.remove_prefix(newline == std::string_view::npos ? in.size() : newline + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void CheckDateRoundTrip(std::string_view text) {
  if (auto t = sigv4::ParseAmzDate(text)) {
    FUZZ_CHECK(sigv4::ParseAmzDate(sigv4::FormatAmzDate(*t)) == t);
  }
  (void)sigv4::ParseHttpDate(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auth::RequestView view;
  view.method = NextLine(in);
  view.target = NextLine(in);
  while (!in.empty()) {
    std::string_view line = NextLine(in);
    const size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    view.headers.emplace_back(name, value);
    CheckDateRoundTrip(value);
  }

  const auth::AuthResult result =
      auth::Authenticate(view, fuzz::ExampleUsers(), fuzz::ExampleTime(), fuzz::kRegion);
  FUZZ_CHECK(result.ok == result.error_code.empty());
  FUZZ_CHECK(result.ok || !result.error_message.empty());
  if (result.ok) {
    FUZZ_CHECK(result.credentials != nullptr);
    FUZZ_CHECK(result.payload != auth::PayloadMode::kSha256 || result.payload_sha256.size() == 64);
  }

  // Canonical forms are fixed points: canonicalising twice changes nothing,
  // or a client and the server could disagree on what was signed.
  const size_t question = view.target.find('?');
  const std::string_view path = view.target.substr(0, question);
  for (auto part : {sigv4::UriPart::kPath, sigv4::UriPart::kQuery}) {
    const std::string once = sigv4::NormalizeEncoding(path, part);
    FUZZ_CHECK(sigv4::NormalizeEncoding(once, part) == once);
  }
  if (question != std::string_view::npos) {
    const std::string query = sigv4::CanonicalQuery(view.target.substr(question + 1));
    FUZZ_CHECK(sigv4::CanonicalQuery(query) == query);
  }
  return 0;
}
