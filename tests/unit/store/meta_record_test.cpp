#include "store/meta_record.h"

#include "dirops/node_attrs.h"
#include "store/version_id.h"

#include <gtest/gtest.h>

namespace fsgate::store {
namespace {

ObjectMeta Full() {
  ObjectMeta m;
  m.etag = "0123456789abcdef0123456789abcdef-3";
  m.content_type = "application/x-tar";
  m.system_headers = {{"cache-control", "no-cache"}, {"content-encoding", "gzip"}};
  m.user_meta = {{"owner", "ops:team"}, {"empty", ""}};
  m.checksums = {{"CRC64NVME", "AAAAAAAAAAA="}};
  m.parts_count = 3;
  m.mtime_ns = 1795573478161509708;
  return m;
}

TEST(MetaRecordTest, RoundTripsEveryField) {
  const ObjectMeta m = Full();
  auto r =
      DecodeMetaRecord(dirops::FrameAttrs(EncodeMetaRecord(m, /*with_mtime=*/true), 123456789));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->seq, 123456789u);
  EXPECT_EQ(r->meta.etag, m.etag);
  EXPECT_EQ(r->meta.content_type, m.content_type);
  EXPECT_EQ(r->meta.system_headers, m.system_headers);
  EXPECT_EQ(r->meta.user_meta, m.user_meta);
  EXPECT_EQ(r->meta.checksums, m.checksums);
  EXPECT_EQ(r->meta.parts_count, 3);
  EXPECT_EQ(r->meta.mtime_ns, m.mtime_ns);
}

// Part sizes need format 3; a record without them stays format 2, readable by
// the fsgate before it.
TEST(MetaRecordTest, PartSizesRoundTripInFormat3Only) {
  ObjectMeta m = Full();
  std::string v2 = dirops::FrameAttrs(EncodeMetaRecord(m, false), 5);
  EXPECT_EQ(v2[0], 2);
  EXPECT_TRUE(DecodeMetaRecord(v2)->meta.part_sizes.empty());
  m.part_sizes = {5u << 20, 300, 0};
  std::string v3 = dirops::FrameAttrs(EncodeMetaRecord(m, false), 5);
  EXPECT_EQ(v3[0], 3);
  auto r = DecodeMetaRecord(v3);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->meta.part_sizes, m.part_sizes);
  EXPECT_EQ(r->meta.parts_count, 3);
  EXPECT_FALSE(DecodeMetaRecord(std::string("\x03e\x00z\x00", 5)).ok());  // empty list
}

// Tags, the checksum type and part checksums need format 4; a record without
// them keeps the lowest format that holds it.
TEST(MetaRecordTest, TagsAndPartChecksumsRoundTripInFormat4Only) {
  ObjectMeta m = Full();
  m.part_sizes = {5u << 20, 300, 0};
  EXPECT_EQ(EncodeMetaRecord(m, false)[0], 3);
  m.tags = {{"project", "blue"}, {"empty", ""}};
  m.checksum_type = "COMPOSITE";
  m.part_checksums = {"AAAAAAAAAAA=", "AQIDBAUGBwg=", "CQoLDA0ODxA="};
  std::string v4 = EncodeMetaRecord(m, false);
  EXPECT_EQ(v4[0], 4);
  auto r = DecodeMetaRecord(v4);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->meta.tags, m.tags);
  EXPECT_EQ(r->meta.checksum_type, "COMPOSITE");
  EXPECT_EQ(r->meta.part_checksums, m.part_checksums);
  EXPECT_EQ(r->meta.part_sizes, m.part_sizes);
  ObjectMeta tagged_only;
  tagged_only.etag = "d41d8cd98f00b204e9800998ecf8427e";
  tagged_only.tags = {{"a", "b"}};
  EXPECT_EQ(EncodeMetaRecord(tagged_only, false)[0], 4);
  // A format 3 record cannot carry them.
  EXPECT_FALSE(DecodeMetaRecord(std::string("\x03e\x00g\x03\x01"
                                            "ab",
                                            9))
                   .ok());
}

// An ACL needs format 5; an object without one keeps its older format, so
// that an fsgate from before ACLs still reads every private object.
TEST(MetaRecordTest, AclRoundTripsInFormat5Only) {
  ObjectMeta m = Full();
  const char first = EncodeMetaRecord(m, false)[0];
  EXPECT_LT(first, 5);
  m.acl = "bob\nFUbob\nRA\n";
  std::string v5 = EncodeMetaRecord(m, false);
  EXPECT_EQ(v5[0], 5);
  auto r = DecodeMetaRecord(v5);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->meta.acl, m.acl);
  EXPECT_EQ(r->meta.etag, m.etag);
  // A format 4 record cannot carry one.
  EXPECT_FALSE(DecodeMetaRecord(std::string("\x04e\x00a\x02"
                                            "ab",
                                            7))
                   .ok());
  // A public-read object of a short owner still fits the inode.
  ObjectMeta typical;
  typical.etag = "8aed84801cfdb3c95972aac35f2fc78b";
  typical.content_type = "binary/octet-stream";
  typical.acl = "alice\nFUalice\nRA\n";
  EXPECT_LE(dirops::FrameAttrs(EncodeMetaRecord(typical, false), 19343).size(), 64u);
}

// An object in a versioned bucket with an ACL: both format-5 fields, one record.
TEST(MetaRecordTest, AclAndVersionIdTogether) {
  ObjectMeta m = Full();
  m.acl = "bob\nFUbob\nRA\n";
  m.version_id = EncodeVersionId(42);
  auto r = DecodeMetaRecord(EncodeMetaRecord(m, false));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->meta.acl, m.acl);
  EXPECT_EQ(r->meta.version_id, m.version_id);
}

TEST(MetaRecordTest, FileRecordsLeaveMtimeToTheFile) {
  auto r = DecodeMetaRecord(EncodeMetaRecord(Full(), /*with_mtime=*/false));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->meta.mtime_ns, 0);
  EXPECT_EQ(r->seq, 0u);
}

TEST(MetaRecordTest, EmptyAndDefaultContentTypesStayApart) {
  ObjectMeta m;
  m.etag = "d41d8cd98f00b204e9800998ecf8427e";
  m.content_type = "binary/octet-stream";
  EXPECT_EQ(DecodeMetaRecord(EncodeMetaRecord(m, false))->meta.content_type, "binary/octet-stream");
  m.content_type = "";
  EXPECT_EQ(DecodeMetaRecord(EncodeMetaRecord(m, false))->meta.content_type, "");
}

// The point of format 2: a typical object's record fits the ~64 bytes ext4
// keeps in a 256-byte inode, so no xattr block is allocated per object.
TEST(MetaRecordTest, TypicalObjectFitsInTheInode) {
  ObjectMeta m;
  m.etag = "8aed84801cfdb3c95972aac35f2fc78b";
  m.content_type = "binary/octet-stream";
  EXPECT_LE(dirops::FrameAttrs(EncodeMetaRecord(m, false), 19343).size(), 25u);
  m.content_type = "text/plain";
  m.checksums = {{"CRC32", "i9aeUg=="}};
  EXPECT_LE(dirops::FrameAttrs(EncodeMetaRecord(m, false), 4'000'000'000ull).size(), 64u);
}

TEST(MetaRecordTest, NewerVersionIsRefusedByName) {
  std::string record = dirops::FrameAttrs(EncodeMetaRecord(Full(), false), 1);
  record[0] = static_cast<char>(kMetaRecordVersion + 1);
  auto r = DecodeMetaRecord(record);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("newer fsgate"), std::string::npos);
}

TEST(MetaRecordTest, MalformedRecordsAreCorruptNeverGuessed) {
  const std::string good = EncodeMetaRecord(Full(), true);
  for (size_t cut = 0; cut < good.size(); ++cut) {
    auto r = DecodeMetaRecord(good.substr(0, cut));
    // Every proper prefix either fails or is missing a trailing field; none crashes.
    if (r.ok()) {
      EXPECT_NE(r->meta.mtime_ns, Full().mtime_ns) << cut;
    }
  }
  EXPECT_FALSE(DecodeMetaRecord(std::string("\x02", 1)).ok());  // no etag
  EXPECT_FALSE(DecodeMetaRecord(std::string("\x02m\x03"
                                            "abc",
                                            6))
                   .ok());                                           // short md5
  EXPECT_FALSE(DecodeMetaRecord(std::string("\x02z\x00", 3)).ok());  // unknown tag
  EXPECT_FALSE(DecodeMetaRecord(std::string("\x02s\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12))
                   .ok());  // varint overflow
}

// The engine's seq rides in the record's own framing: the value an older
// fsgate wrote with its seq inside is what the engine frames now, and the
// engine hands back exactly the record the store encoded.
TEST(MetaRecord, EngineFrameIsTheRecordWithItsSeq) {
  ObjectMeta m = Full();
  const std::string blob = EncodeMetaRecord(m, false);
  const std::string framed = dirops::FrameAttrs(blob, 4242);
  auto r = DecodeMetaRecord(framed);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->seq, 4242u);
  EXPECT_EQ(r->meta.etag, m.etag);
  const dirops::FramedAttrs back = dirops::UnframeAttrs(framed);
  EXPECT_EQ(back.seq, 4242u);
  EXPECT_EQ(back.blob, blob);
  EXPECT_EQ(dirops::UnframeAttrs(blob).seq, 0u);
  EXPECT_EQ(dirops::UnframeAttrs(blob).blob, blob);
}

}  // namespace
}  // namespace fsgate::store
