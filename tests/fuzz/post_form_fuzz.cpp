// POST object's form: the multipart/form-data reader over any body, read in
// steps of every size (the first byte picks it, so delimiters straddle reads),
// then the POST policy parser and condition check over the fields it found
// (and over the body itself, as a policy document).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/post_policy.h"
#include "base/hash.h"
#include "fuzz_common.h"
#include "gateway/form_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fsgate;
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 64;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t pos = 0;
  gateway::FormReader form("XyZ", [&](std::span<char> buf) -> Result<size_t> {
    const size_t n = std::min({step, buf.size(), body.size() - pos});
    std::copy_n(body.data() + pos, n, buf.data());
    pos += n;
    return n;
  });
  auth::FormFields fields;
  size_t bytes = 0;
  for (int parts = 0; parts < 64; ++parts) {
    auto part = form.NextPart();
    if (!part.ok() || !*part) break;
    auto value = form.ReadAll(4096);
    if (!value.ok()) break;
    bytes += value->size();
    FUZZ_CHECK(bytes <= body.size());
    fields.emplace_back((*part)->name, std::move(*value));
  }
  for (const std::string& text : {body, Base64Encode(body)}) {
    auto policy = auth::ParsePostPolicy(text);
    if (!policy.ok()) continue;
    if (policy->length_range) {
      FUZZ_CHECK(policy->length_range->first >= 0 &&
                 policy->length_range->first <= policy->length_range->second);
    }
    (void)auth::CheckPostPolicy(*policy, fields, "bucket", fuzz::ExampleTime());
  }
  (void)auth::AuthenticatePostForm(fields, fuzz::ExampleUsers(), fuzz::kRegion);
  return 0;
}
