// The records of journal formats 1-3 (bucket, key, metadata fields) become the
// engine's intents: a node named as key_path maps the key, and the one
// metadata record as the blob, part sizes included.
#include "store/legacy_intent_codec.h"

#include <gtest/gtest.h>

#include "store/meta_record.h"
#include "tests/unit/store/legacy_intent_writer.h"

namespace fsgate::store {
namespace {

using testing::EncodeLegacyIntent;

ObjectMeta Multipart() {
  ObjectMeta m;
  m.etag = "0123456789abcdef0123456789abcdef-3";
  m.size = (10u << 20) + 17;
  m.mtime_ns = 1700000000123456789;
  m.content_type = "text/plain";
  m.user_meta = {{"color", "blue"}};
  m.checksums = {{"CRC32C", "AAAAAA=="}};
  m.parts_count = 3;
  m.part_sizes = {5u << 20, 5u << 20, 17};
  return m;
}

TEST(LegacyIntentCodec, CreateBecomesANodeWithTheMetadataRecord) {
  dirops::Intent old;
  old.op = dirops::IntentOp::kCreate;
  old.seq = 12;
  old.staging = {".fsgate/staging/g.0/d.1", 42, true};
  const ObjectMeta meta = Multipart();
  auto in = DecodeLegacyIntent(3, EncodeLegacyIntent(old, "bkt", "a/b.txt", meta));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->seq, 12u);
  EXPECT_EQ(in->node().path, "bkt/a/b.txt");
  EXPECT_EQ(in->node().kind, dirops::NodeKind::kFile);
  EXPECT_EQ(in->staging.path, old.staging.path);
  EXPECT_EQ(in->staging.ino, 42u);
  EXPECT_EQ(in->mtime_ns, meta.mtime_ns);
  auto record = DecodeMetaRecord(in->attrs);
  ASSERT_TRUE(record.ok()) << record.status().message();
  EXPECT_EQ(record->meta.etag, meta.etag);
  EXPECT_EQ(record->meta.user_meta, meta.user_meta);
  EXPECT_EQ(record->meta.checksums, meta.checksums);
  EXPECT_EQ(record->meta.parts_count, 3);
  EXPECT_EQ(record->meta.part_sizes, meta.part_sizes);  // format 3's addition
}

TEST(LegacyIntentCodec, UnlinkOfADirectoryKeyAndACheckpoint) {
  dirops::Intent old;
  old.op = dirops::IntentOp::kUnlink;
  old.seq = 5;
  old.target_ino = 77;
  auto in = DecodeLegacyIntent(2, EncodeLegacyIntent(old, "bkt", "d/e/", {}));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->op, dirops::IntentOp::kUnlink);
  EXPECT_EQ(in->node().path, "bkt/d/e");
  EXPECT_EQ(in->node().kind, dirops::NodeKind::kDirectory);
  EXPECT_EQ(in->target_ino, 77u);
  EXPECT_TRUE(in->attrs.empty());

  dirops::Intent checkpoint;
  checkpoint.op = dirops::IntentOp::kCheckpoint;
  checkpoint.seq = 9;
  auto cp = DecodeLegacyIntent(3, EncodeLegacyIntent(checkpoint, "", "", {}));
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->op, dirops::IntentOp::kCheckpoint);
  EXPECT_EQ(cp->seq, 9u);
}

TEST(LegacyIntentCodec, GarbageIsRefusedNeverGuessed) {
  dirops::Intent old;
  old.op = dirops::IntentOp::kCreate;
  const std::string good = EncodeLegacyIntent(old, "bkt", "k", Multipart());
  ASSERT_TRUE(DecodeLegacyIntent(3, good));
  for (size_t n = 0; n + 8 * 3 + 4 < good.size(); ++n) {  // cuts before the part sizes
    EXPECT_FALSE(DecodeLegacyIntent(3, std::string_view(good).substr(0, n))) << n;
  }
  EXPECT_FALSE(DecodeLegacyIntent(3, EncodeLegacyIntent(old, "bkt", "", {})));  // no key
  // A bucket no CreateBucket accepts: "/hotos" would name no top directory
  // (found by the intent_codec fuzz target: its re-encoding did not decode).
  EXPECT_FALSE(DecodeLegacyIntent(3, EncodeLegacyIntent(old, "/hotos", "2024/a.jpg", {})));
  EXPECT_FALSE(DecodeLegacyIntent(3, EncodeLegacyIntent(old, "bkt", "a/../../b", {})));
  std::string bad_op = good;
  bad_op[0] = 9;
  EXPECT_FALSE(DecodeLegacyIntent(3, bad_op));
}

}  // namespace
}  // namespace fsgate::store
