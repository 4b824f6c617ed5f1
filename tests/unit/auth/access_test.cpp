// The access decision as AWS documents it: a table of bucket policy × ACLs ×
// public access block / ownership × caller → allowed or denied; and the ACL
// codec, canned ACLs and grant headers it reads.
#include "auth/access.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

namespace fsgate::auth {
namespace {

constexpr std::string_view kOwner = "alice";

const std::string kDenyBobPolicy =
    R"({"Statement":[{"Effect":"Deny","Principal":{"AWS":"bob"},"Action":"s3:*",)"
    R"("Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]})";
const std::string kPublicReadPolicy =
    R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
    R"("Resource":"arn:aws:s3:::b/*"}]})";
const std::string kDenyEveryonePolicy =
    R"({"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",)"
    R"("Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]})";
const std::string kDenyPublicAclPolicy =
    R"({"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject",)"
    R"("Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:x-amz-acl":"public-read"}}}]})";

Acl Canned(std::string_view name, std::string_view owner = kOwner) {
  auto acl = CannedAcl(name, owner, kOwner);
  EXPECT_TRUE(acl.ok());
  return acl.ok() ? *acl : Acl{};
}

// One case: the caller ("" anonymous), the action, the bucket's policy (a key
// of Policies(), "" none), its canned ACL (nullptr: none stored), the
// object's canned ACL and owner (nullptr: not read), the settings ("" none,
// "ignore" IgnorePublicAcls, "restrict" RestrictPublicBuckets, "enforced"
// BucketOwnerEnforced), the request's x-amz-acl ("" none), the outcome.
struct Row {
  const char* what;
  std::string_view user, action, policy;
  const char *bucket_acl, *object_acl;
  std::string_view object_owner, settings, x_amz_acl;
  bool allowed;
};

const std::map<std::string_view, std::string>& Policies() {
  static const std::map<std::string_view, std::string> kPolicies = {
      {"deny-bob", kDenyBobPolicy},
      {"public-read", kPublicReadPolicy},
      {"deny-all", kDenyEveryonePolicy},
      {"deny-public-acl", kDenyPublicAclPolicy}};
  return kPolicies;
}

AccessSettings SettingsOf(std::string_view name) {
  return {.ignore_public_acls = name == "ignore",
          .restrict_public_buckets = name == "restrict",
          .acls_disabled = name == "enforced"};
}

TEST(AccessTest, DecidesAsAwsDocuments) {
  // clang-format off
  const Row rows[] = {
      // The owner, by default; another user and anonymous are denied.
      {"owner lists",                 "alice", "s3:ListBucket", "", nullptr, nullptr, "", "", "", true},
      {"other user lists",            "bob", "s3:ListBucket", "", nullptr, nullptr, "", "", "", false},
      {"anonymous reads",             "", "s3:GetObject", "", nullptr, "private", "alice", "", "", false},
      // Bucket ACL: READ lists, WRITE writes and deletes, READ_ACP reads the ACL.
      {"public-read lists",           "", "s3:ListBucket", "", "public-read", nullptr, "", "", "", true},
      {"public-read lists versions",  "", "s3:ListBucketVersions", "", "public-read", nullptr, "", "", "", true},
      {"public-read is no write",     "", "s3:PutObject", "", "public-read", nullptr, "", "", "", false},
      {"public-read is no ACL read",  "bob", "s3:GetBucketAcl", "", "public-read", nullptr, "", "", "", false},
      {"public-read-write writes",    "", "s3:PutObject", "", "public-read-write", nullptr, "", "", "", true},
      {"public-read-write deletes",   "bob", "s3:DeleteObject", "", "public-read-write", nullptr, "", "", "", true},
      {"authenticated-read: signed",  "bob", "s3:ListBucket", "", "authenticated-read", nullptr, "", "", "", true},
      {"authenticated-read: anonymous", "", "s3:ListBucket", "", "authenticated-read", nullptr, "", "", "", false},
      {"bucket READ is no object READ", "", "s3:GetObject", "", "public-read", "private", "alice", "", "", false},
      // Object ACL: READ reads, not the ACL; the object's owner holds READ_ACP/WRITE_ACP.
      {"object public-read",          "", "s3:GetObject", "", nullptr, "public-read", "alice", "", "", true},
      {"object public-read: no ACL read", "", "s3:GetObjectAcl", "", nullptr, "public-read", "alice", "", "", false},
      {"object owner writes its ACL", "bob", "s3:PutObjectAcl", "", nullptr, "private", "bob", "", "", true},
      {"object owner reads its object", "bob", "s3:GetObject", "", nullptr, "private", "bob", "", "", true},
      {"object ACL grants no bucket action", "", "s3:ListBucket", "", nullptr, "public-read", "alice", "", "", false},
      // Policy: Allow opens, an explicit Deny wins over ACLs and ownership.
      {"policy allows anonymous",     "", "s3:GetObject", "public-read", nullptr, nullptr, "", "", "", true},
      {"policy Deny beats ACL",       "bob", "s3:GetObject", "deny-bob", nullptr, "public-read", "alice", "", "", false},
      {"policy Deny beats bucket ACL", "bob", "s3:PutObject", "deny-bob", "public-read-write", nullptr, "", "", "", false},
      {"policy Deny beats the owner", "alice", "s3:GetObject", "deny-all", nullptr, nullptr, "", "", "", false},
      {"owner still manages the policy", "alice", "s3:PutBucketPolicy", "deny-all", nullptr, nullptr, "", "", "", true},
      {"Deny on s3:x-amz-acl",        "bob", "s3:PutObject", "deny-public-acl", "public-read-write", nullptr, "", "", "public-read", false},
      {"Deny on s3:x-amz-acl: other", "bob", "s3:PutObject", "deny-public-acl", "public-read-write", nullptr, "", "", "private", true},
      // Public access block.
      {"IgnorePublicAcls: bucket",    "", "s3:ListBucket", "", "public-read", nullptr, "", "ignore", "", false},
      {"IgnorePublicAcls: object",    "bob", "s3:GetObject", "", nullptr, "authenticated-read", "alice", "ignore", "", false},
      {"IgnorePublicAcls keeps the policy", "", "s3:GetObject", "public-read", nullptr, "public-read", "alice", "ignore", "", true},
      {"RestrictPublicBuckets: anonymous", "", "s3:GetObject", "public-read", nullptr, nullptr, "", "restrict", "", false},
      {"RestrictPublicBuckets: signed", "bob", "s3:GetObject", "public-read", nullptr, nullptr, "", "restrict", "", true},
      // BucketOwnerEnforced: ACLs count for nothing, the policy and the owner still do.
      {"enforced: ACL ignored",       "", "s3:GetObject", "", nullptr, "public-read", "alice", "enforced", "", false},
      {"enforced: policy applies",    "", "s3:GetObject", "public-read", nullptr, nullptr, "", "enforced", "", true},
      {"enforced: owner",             "alice", "s3:GetObject", "", nullptr, nullptr, "", "enforced", "", true},
  };
  // clang-format on
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    std::optional<BucketPolicy> policy;
    if (!row.policy.empty()) {
      auto parsed = ParseBucketPolicy(Policies().at(row.policy), "b");
      ASSERT_TRUE(parsed.ok()) << parsed.status().message();
      policy = std::move(*parsed);
    }
    std::optional<Acl> bucket_acl, object_acl;
    if (row.bucket_acl != nullptr) bucket_acl = Canned(row.bucket_acl);
    if (row.object_acl != nullptr) object_acl = Canned(row.object_acl, row.object_owner);
    ConditionContext context;
    if (!row.x_amz_acl.empty()) context.emplace_back("s3:x-amz-acl", row.x_amz_acl);
    const AccessRequest request{.request = {.user = row.user,
                                            .action = row.action,
                                            .resource = "arn:aws:s3:::b/k",
                                            .context = std::move(context)},
                                .admin = false,
                                .bucket_owner = kOwner,
                                .policy = policy ? &*policy : nullptr,
                                .bucket_acl = bucket_acl ? &*bucket_acl : nullptr,
                                .object_acl = object_acl ? &*object_acl : nullptr,
                                .settings = SettingsOf(row.settings),
                                .upload_initiator = {}};
    EXPECT_EQ(IsAllowed(request), row.allowed);
  }
}

TEST(AccessTest, AnAdminIsAnOwner) {
  EXPECT_TRUE(IsAllowed(
      {.request = {.user = "root", .action = "s3:ListBucket", .resource = "r", .context = {}},
       .admin = true,
       .bucket_owner = kOwner,
       .policy = nullptr,
       .bucket_acl = nullptr,
       .object_acl = nullptr,
       .settings = {},
       .upload_initiator = {}}));
}

// AWS's multipart permissions: an upload's initiator may list its parts and
// abort it by default, nothing more, and an explicit Deny takes that away.
TEST(AccessTest, AnUploadsInitiatorListsItsPartsAndAbortsIt) {
  auto deny_bob = ParseBucketPolicy(kDenyBobPolicy, "b");
  ASSERT_TRUE(deny_bob.ok());
  auto decide = [&](std::string_view user, std::string_view action, std::string_view initiator,
                    const BucketPolicy* policy) {
    return IsAllowed(
        {.request = {.user = user, .action = action, .resource = "arn:aws:s3:::b/k", .context = {}},
         .admin = false,
         .bucket_owner = kOwner,
         .policy = policy,
         .bucket_acl = nullptr,
         .object_acl = nullptr,
         .settings = {},
         .upload_initiator = initiator});
  };
  EXPECT_TRUE(decide("bob", "s3:AbortMultipartUpload", "bob", nullptr));
  EXPECT_TRUE(decide("bob", "s3:ListMultipartUploadParts", "bob", nullptr));
  EXPECT_FALSE(decide("bob", "s3:PutObject", "bob", nullptr));
  EXPECT_FALSE(decide("bob", "s3:AbortMultipartUpload", "carol", nullptr));
  EXPECT_FALSE(decide("", "s3:AbortMultipartUpload", "", nullptr));
  EXPECT_FALSE(decide("bob", "s3:AbortMultipartUpload", "bob", &*deny_bob));
}

TEST(AclTest, CannedAclsAreAwss) {
  EXPECT_EQ(Canned("private"), PrivateAcl("alice"));
  EXPECT_EQ(Canned("aws-exec-read"), PrivateAcl("alice"));
  EXPECT_EQ(Canned("public-read-write").grants.size(), 3u);
  // bucket-owner-*: the bucket's owner is granted on another's object only.
  EXPECT_EQ(Canned("bucket-owner-full-control", "bob").grants,
            (std::vector<AclGrant>{{GranteeKind::kUser, "bob", AclPermission::kFullControl},
                                   {GranteeKind::kUser, "alice", AclPermission::kFullControl}}));
  EXPECT_EQ(Canned("bucket-owner-read"), PrivateAcl("alice"));
  EXPECT_EQ(CannedAcl("public", "alice", "alice").status().reason(), "InvalidArgument");
  EXPECT_TRUE(IsPublicAcl(Canned("authenticated-read")));
  EXPECT_FALSE(IsPublicAcl(Canned("bucket-owner-full-control", "bob")));
}

TEST(AclTest, GrantHeaders) {
  const UserExists known = [](std::string_view name) { return name == "bob" || name == "carol"; };
  Acl acl{.owner = "alice", .grants = {}};
  ASSERT_TRUE(
      AddHeaderGrants(AclPermission::kRead,
                      R"(id="bob", uri="http://acs.amazonaws.com/groups/global/AllUsers",id=carol)",
                      known, acl)
          .ok());
  EXPECT_EQ(acl.grants,
            (std::vector<AclGrant>{{GranteeKind::kUser, "bob", AclPermission::kRead},
                                   {GranteeKind::kAllUsers, "", AclPermission::kRead},
                                   {GranteeKind::kUser, "carol", AclPermission::kRead}}));
  EXPECT_EQ(AddHeaderGrants(AclPermission::kRead, R"(id="dave")", known, acl).reason(),
            "InvalidArgument");
  EXPECT_EQ(AddHeaderGrants(AclPermission::kRead, R"(emailAddress="a@b.c")", known, acl).reason(),
            "UnresolvableGrantByEmailAddress");
  EXPECT_EQ(AddHeaderGrants(AclPermission::kRead, R"(uri="http://x/y")", known, acl).reason(),
            "InvalidArgument");
  EXPECT_EQ(AddHeaderGrants(AclPermission::kRead, "bob", known, acl).reason(), "InvalidArgument");
}

TEST(AclTest, CodecRoundTripsAndRefusesDamage) {
  Acl acl = Canned("public-read-write");
  acl.grants.push_back({GranteeKind::kAuthenticatedUsers, "", AclPermission::kReadAcp});
  acl.grants.push_back({GranteeKind::kUser, "bob", AclPermission::kWriteAcp});
  const std::string encoded = EncodeAcl(acl);
  EXPECT_EQ(encoded, "alice\nFUalice\nRA\nWA\nrT\nwUbob\n");
  EXPECT_EQ(DecodeAcl(encoded), acl);
  for (std::string_view damaged : {"", "alice", "\nFUalice\n", "alice\nXUbob\n", "alice\nFU\n",
                                   "alice\nFQ\n", "alice\nFUbob"}) {
    EXPECT_FALSE(DecodeAcl(damaged).has_value()) << damaged;
  }
}

}  // namespace
}  // namespace fsgate::auth
