// The XML request bodies S3 clients send, parsed into plain values: pure
// functions over bytes, so the handlers stay thin and the parsers can be
// fuzzed on their own. Each goes through ParseXmlBody (xml.h): exact element
// names, nothing XML 1.0 forbids. nullopt means MalformedXML.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/acl.h"
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
  // Each key's <ETag>, <LastModifiedTime>, <Size> (a conditional delete of
  // that key), in the same order.
  std::vector<store::DeleteConditions> conditions;
  bool has_conditions = false;
};
// <Delete><Quiet/><Object><Key/><VersionId/><ETag/><LastModifiedTime/><Size/>
// </Object>...</Delete>: 1 to kMaxDeleteObjects keys.
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

// A grant of an AccessControlPolicy as sent: a CanonicalUser's ID, a
// Group's URI or an AmazonCustomerByEmail's EmailAddress (one of them set).
struct AclGrantXml {
  std::string id, uri, email;
  auth::AclPermission permission = auth::AclPermission::kRead;
};
struct AccessControlPolicyXml {
  std::string owner_id;  // Owner/ID, empty when absent
  std::vector<AclGrantXml> grants;
};
// <AccessControlPolicy><Owner><ID/></Owner><AccessControlList><Grant>
// <Grantee xsi:type="CanonicalUser|Group|AmazonCustomerByEmail">…</Grantee>
// <Permission/></Grant>…</AccessControlList></AccessControlPolicy> of
// Put{Bucket,Object}Acl; nullopt: MalformedACLError.
std::optional<AccessControlPolicyXml> ParseAccessControlPolicy(std::string_view body);

// <PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>…
// of PutPublicAccessBlock, the four flags in their order in
// bucket_access.h's PublicAccessBlock (an absent one is false, a value but
// true/false is malformed).
std::optional<std::array<bool, 4>> ParsePublicAccessBlock(std::string_view body);

// <OwnershipControls><Rule><ObjectOwnership>…</ObjectOwnership></Rule>
// </OwnershipControls> of PutBucketOwnershipControls: exactly one rule, its
// ObjectOwnership as sent (the handler checks the value).
std::optional<std::string> ParseOwnershipControls(std::string_view body);

}  // namespace fsgate::gateway
