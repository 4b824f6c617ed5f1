// The XML request bodies (CreateBucketConfiguration, DeleteObjects,
// CompleteMultipartUpload, Tagging, AccessControlPolicy,
// PublicAccessBlockConfiguration, OwnershipControls) through pugixml and the
// S3 body parsers.
// Every input goes through all of them: a body is whatever the client sends.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"
#include "gateway/xml_bodies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fsgate::gateway;
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  (void)ParseCreateBucketConfiguration(body);

  if (auto request = ParseDeleteObjects(body)) {
    FUZZ_CHECK(!request->keys.empty() && request->keys.size() <= kMaxDeleteObjects);
  }
  if (auto parts = ParseCompleteMultipartUpload(body)) {
    FUZZ_CHECK(!parts->empty());
    for (const auto& part : *parts) FUZZ_CHECK(part.number >= 1 && part.number <= kMaxPartNumber);
  }
  (void)ParseTagging(body);
  if (auto acl = ParseAccessControlPolicy(body)) {
    // Each grant names exactly one grantee.
    for (const auto& g : acl->grants) {
      FUZZ_CHECK(!g.id.empty() + !g.uri.empty() + !g.email.empty() == 1);
    }
  }
  (void)ParsePublicAccessBlock(body);
  if (auto ownership = ParseOwnershipControls(body)) FUZZ_CHECK(!ownership->empty());
  return 0;
}
