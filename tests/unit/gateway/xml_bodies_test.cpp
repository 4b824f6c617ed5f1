// The S3 request documents parsed into plain values.
#include "gateway/xml_bodies.h"

#include <gtest/gtest.h>

namespace fsgate::gateway {
namespace {

TEST(ParseCompleteMultipartUpload, PartsCarryTheChecksumsTheyList) {
  auto parts = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload>"
      "<Part><PartNumber>1</PartNumber><ETag>\"abc\"</ETag>"
      "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>"
      "<Part><ETag>def</ETag><PartNumber>2</PartNumber>"
      "<ChecksumSHA256>x</ChecksumSHA256><ChecksumCRC64NVME>y</ChecksumCRC64NVME></Part>"
      "<Part><PartNumber>3</PartNumber><ETag>ghi</ETag></Part>"
      "</CompleteMultipartUpload>");
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].etag, "abc");
  EXPECT_EQ((*parts)[0].checksums, (store::HeaderList{{"CRC32", "AAAAAA=="}}));
  EXPECT_EQ((*parts)[1].number, 2);
  EXPECT_EQ((*parts)[1].checksums, (store::HeaderList{{"SHA256", "x"}, {"CRC64NVME", "y"}}));
  EXPECT_TRUE((*parts)[2].checksums.empty());
}

// S3 keys may be or end in whitespace; an indented document's layout is no key.
TEST(ParseDeleteObjects, KeysOfWhitespaceAreKeptAsSent) {
  auto request = ParseDeleteObjects(
      "<Delete>\n  <Object>\n    <Key> </Key>\n  </Object>\n"
      "  <Object><Key>_ _</Key><VersionId>null</VersionId></Object>\n"
      "  <Object><Key>\t a \t</Key></Object>\n  <Quiet>true</Quiet>\n</Delete>");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->keys, (std::vector<std::string>{" ", "_ _", "\t a \t"}));
  EXPECT_EQ(request->version_ids, (std::vector<std::string>{"", "null", ""}));
  EXPECT_TRUE(request->quiet);
}

TEST(ParseDeleteObjects, ConditionsOfEachKeyAsSentAndMalformedOnesRefused) {
  auto request = ParseDeleteObjects(
      "<Delete><Object><Key>a</Key><ETag>\"abc\"</ETag></Object>"
      "<Object><Key>b</Key></Object>"
      "<Object><Key>c</Key><LastModifiedTime>Thu, 01 Jan 2015 00:00:01 GMT</LastModifiedTime>"
      "<Size>7</Size></Object>"
      "<Object><Key>d</Key><LastModifiedTime>2015-01-01T00:00:02.000Z</LastModifiedTime>"
      "</Object></Delete>");
  ASSERT_TRUE(request);
  ASSERT_EQ(request->conditions.size(), 4u);
  EXPECT_TRUE(request->has_conditions);
  EXPECT_EQ(request->conditions[0].if_match, "abc");
  EXPECT_FALSE(request->conditions[1].Any());
  EXPECT_EQ(request->conditions[2].last_modified_s, 1420070401);
  EXPECT_EQ(request->conditions[2].size, 7u);
  EXPECT_EQ(request->conditions[3].last_modified_s, 1420070402);
  EXPECT_FALSE(ParseDeleteObjects("<Delete><Object><Key>a</Key><Size>-1</Size></Object></Delete>"));
  EXPECT_FALSE(ParseDeleteObjects(
      "<Delete><Object><Key>a</Key><LastModifiedTime>soon</LastModifiedTime></Object></Delete>"));
  auto plain = ParseDeleteObjects("<Delete><Object><Key>a</Key></Object></Delete>");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->has_conditions);
}

TEST(ParseAccessControlPolicy, GranteesOfEachTypeWhateverTheXsiPrefix) {
  auto acl = ParseAccessControlPolicy(
      "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Owner><ID>alice</ID></Owner><AccessControlList>"
      "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:type=\"CanonicalUser\"><ID>bob</ID><DisplayName>b</DisplayName></Grantee>"
      "<Permission>WRITE_ACP</Permission></Grant>"
      "<Grant><Grantee xmlns:x=\"http://www.w3.org/2001/XMLSchema-instance\" x:type=\"Group\">"
      "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>"
      "<Permission>READ</Permission></Grant>"
      "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:type=\"AmazonCustomerByEmail\"><EmailAddress>a@b.c</EmailAddress></Grantee>"
      "<Permission>FULL_CONTROL</Permission></Grant>"
      "</AccessControlList></AccessControlPolicy>");
  ASSERT_TRUE(acl);
  EXPECT_EQ(acl->owner_id, "alice");
  ASSERT_EQ(acl->grants.size(), 3u);
  EXPECT_EQ(acl->grants[0].id, "bob");
  EXPECT_EQ(acl->grants[0].permission, auth::AclPermission::kWriteAcp);
  EXPECT_EQ(acl->grants[1].uri, "http://acs.amazonaws.com/groups/global/AllUsers");
  EXPECT_EQ(acl->grants[2].email, "a@b.c");
  // No list, no type, an unknown type or permission, an empty ID: malformed.
  for (const char* bad :
       {"<AccessControlPolicy/>",
        "<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>bob</ID></Grantee>"
        "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
        "<AccessControlPolicy><AccessControlList><Grant><Grantee xsi:type=\"Robot\"><ID>bob</ID>"
        "</Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
        "<AccessControlPolicy><AccessControlList><Grant><Grantee xsi:type=\"CanonicalUser\">"
        "<ID>bob</ID></Grantee><Permission>ALL</Permission></Grant></AccessControlList>"
        "</AccessControlPolicy>",
        "<AccessControlPolicy><AccessControlList><Grant><Grantee xsi:type=\"CanonicalUser\">"
        "<ID></ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
        "</AccessControlPolicy>"}) {
    EXPECT_FALSE(ParseAccessControlPolicy(bad)) << bad;
  }
}

TEST(ParsePublicAccessBlock, AbsentFlagsAreFalseOthersMustBeBooleans) {
  auto flags = ParsePublicAccessBlock(
      "<PublicAccessBlockConfiguration><IgnorePublicAcls>true</IgnorePublicAcls>"
      "<RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>");
  ASSERT_TRUE(flags);
  EXPECT_EQ(*flags, (std::array<bool, 4>{false, true, false, false}));
  EXPECT_FALSE(
      ParsePublicAccessBlock("<PublicAccessBlockConfiguration><BlockPublicAcls>1</BlockPublicAcls>"
                             "</PublicAccessBlockConfiguration>"));
}

TEST(ParseOwnershipControls, ExactlyOneRule) {
  EXPECT_EQ(ParseOwnershipControls("<OwnershipControls><Rule><ObjectOwnership>ObjectWriter"
                                   "</ObjectOwnership></Rule></OwnershipControls>"),
            "ObjectWriter");
  EXPECT_FALSE(ParseOwnershipControls("<OwnershipControls/>"));
  EXPECT_FALSE(ParseOwnershipControls(
      "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>"
      "<Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>"));
}

}  // namespace
}  // namespace fsgate::gateway
