// The access decision as AWS documents it: a table of bucket policy × ACLs ×
// public access block / ownership × caller → allowed or denied; and the ACL
// codec, canned ACLs and grant headers it reads.
#include "auth/access.h"

#include <gtest/gtest.h>

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

struct Row {
  const char* what;
  std::string_view user;  // "" anonymous
  std::string_view action;
  std::string policy;      // "" none
  const char* bucket_acl;  // canned; nullptr: none stored
  const char* object_acl;  // canned; nullptr: not read
  std::string_view object_owner;
  AccessSettings settings;
  ConditionContext context;
  bool allowed;
};

TEST(AccessTest, DecidesAsAwsDocuments) {
  const AccessSettings none{};
  const AccessSettings ignore_public{.ignore_public_acls = true};
  const AccessSettings restrict_public{.restrict_public_buckets = true};
  const AccessSettings enforced{.acls_disabled = true};
  const Row rows[] = {
      // The owner, by default; another user and anonymous are denied.
      {"owner lists", "alice", "s3:ListBucket", "", nullptr, nullptr, "", none, {}, true},
      {"other user lists", "bob", "s3:ListBucket", "", nullptr, nullptr, "", none, {}, false},
      {"anonymous reads", "", "s3:GetObject", "", nullptr, "private", "alice", none, {}, false},
      // Bucket ACL: READ lists, WRITE writes and deletes, READ_ACP reads the ACL.
      {"public-read lists", "", "s3:ListBucket", "", "public-read", nullptr, "", none, {}, true},
      {"public-read lists versions",
       "",
       "s3:ListBucketVersions",
       "",
       "public-read",
       nullptr,
       "",
       none,
       {},
       true},
      {"public-read is no write",
       "",
       "s3:PutObject",
       "",
       "public-read",
       nullptr,
       "",
       none,
       {},
       false},
      {"public-read is no ACL read",
       "bob",
       "s3:GetBucketAcl",
       "",
       "public-read",
       nullptr,
       "",
       none,
       {},
       false},
      {"public-read-write writes",
       "",
       "s3:PutObject",
       "",
       "public-read-write",
       nullptr,
       "",
       none,
       {},
       true},
      {"public-read-write deletes",
       "bob",
       "s3:DeleteObject",
       "",
       "public-read-write",
       nullptr,
       "",
       none,
       {},
       true},
      {"authenticated-read: signed",
       "bob",
       "s3:ListBucket",
       "",
       "authenticated-read",
       nullptr,
       "",
       none,
       {},
       true},
      {"authenticated-read: anonymous",
       "",
       "s3:ListBucket",
       "",
       "authenticated-read",
       nullptr,
       "",
       none,
       {},
       false},
      {"bucket READ is no object READ",
       "",
       "s3:GetObject",
       "",
       "public-read",
       "private",
       "alice",
       none,
       {},
       false},
      // Object ACL: READ reads, not the ACL; the object's owner holds READ_ACP/WRITE_ACP.
      {"object public-read",
       "",
       "s3:GetObject",
       "",
       nullptr,
       "public-read",
       "alice",
       none,
       {},
       true},
      {"object public-read: no ACL read",
       "",
       "s3:GetObjectAcl",
       "",
       nullptr,
       "public-read",
       "alice",
       none,
       {},
       false},
      {"object owner writes its ACL",
       "bob",
       "s3:PutObjectAcl",
       "",
       nullptr,
       "private",
       "bob",
       none,
       {},
       true},
      {"object owner reads its object",
       "bob",
       "s3:GetObject",
       "",
       nullptr,
       "private",
       "bob",
       none,
       {},
       true},
      {"object ACL grants no bucket action",
       "",
       "s3:ListBucket",
       "",
       nullptr,
       "public-read",
       "alice",
       none,
       {},
       false},
      // Policy: Allow opens, an explicit Deny wins over ACLs and ownership.
      {"policy allows anonymous",
       "",
       "s3:GetObject",
       kPublicReadPolicy,
       nullptr,
       nullptr,
       "",
       none,
       {},
       true},
      {"policy Deny beats ACL",
       "bob",
       "s3:GetObject",
       kDenyBobPolicy,
       nullptr,
       "public-read",
       "alice",
       none,
       {},
       false},
      {"policy Deny beats bucket ACL",
       "bob",
       "s3:PutObject",
       kDenyBobPolicy,
       "public-read-write",
       nullptr,
       "",
       none,
       {},
       false},
      {"policy Deny beats the owner",
       "alice",
       "s3:GetObject",
       kDenyEveryonePolicy,
       nullptr,
       nullptr,
       "",
       none,
       {},
       false},
      {"owner still manages the policy",
       "alice",
       "s3:PutBucketPolicy",
       kDenyEveryonePolicy,
       nullptr,
       nullptr,
       "",
       none,
       {},
       true},
      {"Deny on s3:x-amz-acl",
       "bob",
       "s3:PutObject",
       kDenyPublicAclPolicy,
       "public-read-write",
       nullptr,
       "",
       none,
       {{"s3:x-amz-acl", "public-read"}},
       false},
      {"Deny on s3:x-amz-acl: other ACL",
       "bob",
       "s3:PutObject",
       kDenyPublicAclPolicy,
       "public-read-write",
       nullptr,
       "",
       none,
       {{"s3:x-amz-acl", "private"}},
       true},
      // Public access block.
      {"IgnorePublicAcls: bucket",
       "",
       "s3:ListBucket",
       "",
       "public-read",
       nullptr,
       "",
       ignore_public,
       {},
       false},
      {"IgnorePublicAcls: object",
       "bob",
       "s3:GetObject",
       "",
       nullptr,
       "authenticated-read",
       "alice",
       ignore_public,
       {},
       false},
      {"IgnorePublicAcls keeps the policy",
       "",
       "s3:GetObject",
       kPublicReadPolicy,
       nullptr,
       "public-read",
       "alice",
       ignore_public,
       {},
       true},
      {"RestrictPublicBuckets: anonymous",
       "",
       "s3:GetObject",
       kPublicReadPolicy,
       nullptr,
       nullptr,
       "",
       restrict_public,
       {},
       false},
      {"RestrictPublicBuckets: signed",
       "bob",
       "s3:GetObject",
       kPublicReadPolicy,
       nullptr,
       nullptr,
       "",
       restrict_public,
       {},
       true},
      // BucketOwnerEnforced: ACLs count for nothing, the policy and the owner still do.
      {"enforced: ACL ignored",
       "",
       "s3:GetObject",
       "",
       nullptr,
       "public-read",
       "alice",
       enforced,
       {},
       false},
      {"enforced: policy applies",
       "",
       "s3:GetObject",
       kPublicReadPolicy,
       nullptr,
       nullptr,
       "",
       enforced,
       {},
       true},
      {"enforced: owner", "alice", "s3:GetObject", "", nullptr, nullptr, "", enforced, {}, true},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    std::optional<BucketPolicy> policy;
    if (!row.policy.empty()) {
      auto parsed = ParseBucketPolicy(row.policy, "b");
      ASSERT_TRUE(parsed.ok()) << parsed.status().message();
      policy = std::move(*parsed);
    }
    std::optional<Acl> bucket_acl, object_acl;
    if (row.bucket_acl != nullptr) bucket_acl = Canned(row.bucket_acl);
    if (row.object_acl != nullptr) object_acl = Canned(row.object_acl, row.object_owner);
    const AccessRequest request{.request = {.user = row.user,
                                            .action = row.action,
                                            .resource = "arn:aws:s3:::b/k",
                                            .context = row.context},
                                .admin = false,
                                .bucket_owner = kOwner,
                                .policy = policy ? &*policy : nullptr,
                                .bucket_acl = bucket_acl ? &*bucket_acl : nullptr,
                                .object_acl = object_acl ? &*object_acl : nullptr,
                                .settings = row.settings};
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
       .settings = {}}));
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
