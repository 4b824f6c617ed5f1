// The XML request bodies S3 clients send, parsed into plain values: pure
// functions over bytes, so the handlers stay thin and the parsers can be
// fuzzed on their own. Each goes through ParseXmlBody (xml.h): exact element
// names, nothing XML 1.0 forbids. nullopt means MalformedXML.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/object_store.h"

namespace fsgate::gateway {

inline constexpr int kMaxPartNumber = 10000;
inline constexpr size_t kMaxDeleteObjects = 1000;

// CreateBucket's optional body, a CreateBucketConfiguration: its
// LocationConstraint, empty when it names none.
std::optional<std::string> ParseCreateBucketConfiguration(std::string_view body);

struct DeleteObjectsRequest {
  bool quiet = false;
  std::vector<std::string> keys;  // as sent: the store validates each
  // Each key's VersionId as sent (empty when it has none), in the same order.
  std::vector<std::string> version_ids;
  bool has_version_ids = false;
};
// <Delete><Quiet/><Object><Key/><VersionId/></Object>...</Delete>: 1 to
// kMaxDeleteObjects keys.
std::optional<DeleteObjectsRequest> ParseDeleteObjects(std::string_view body);

// <CompleteMultipartUpload><Part><PartNumber/><ETag/><ChecksumCRC32/>…</Part>...:
// at least one part, numbers 1..kMaxPartNumber, ETags unquoted, checksums by
// the algorithm their element names.
std::optional<std::vector<store::CompletedPart>> ParseCompleteMultipartUpload(
    std::string_view body);

// <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging> of
// Put{Object,Bucket}Tagging: every Tag with a Key and a Value, in document
// order (ValidateTags checks them).
std::optional<store::HeaderList> ParseTagging(std::string_view body);

}  // namespace fsgate::gateway
