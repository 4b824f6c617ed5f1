#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "async_test_util.h"
#include "base/hash.h"
#include "dirops/intent_codec.h"
#include "dirops/intent_journal.h"

namespace fsgate::dirops {
namespace {

using testing::MetricValue;
using testing::ScratchDir;
namespace stdfs = std::filesystem;

Intent MakeCreate(const std::string& key, const std::string& body) {
  Intent in;
  in.op = IntentOp::kCreate;
  in.bucket = "bkt";
  in.key = key;
  in.staging = {".fsgate/staging/d.1", 42, true};
  in.meta.etag = "0123456789abcdef0123456789abcdef";
  in.meta.size = body.size();
  in.meta.mtime_ns = 1700000000123456789;
  in.meta.content_type = "text/plain";
  in.meta.system_headers = {{"cache-control", "no-cache"}};
  in.meta.user_meta = {{"color", "blue"}, {"empty", ""}};
  in.meta.checksums = {{"CRC32C", "AAAAAA=="}};
  in.meta.parts_count = 3;
  in.inline_data = std::make_shared<const std::string>(body);
  return in;
}

// Appends `n` creates of 200-byte bodies ("<prefix><i>"); their seqs.
std::vector<uint64_t> AppendCreates(IntentJournal& journal, const std::string& prefix, int n) {
  std::vector<uint64_t> seqs;
  for (int i = 0; i < n; ++i) {
    Intent in = MakeCreate(prefix + std::to_string(i), std::string(200, 'a'));
    EXPECT_TRUE(journal.Append(in).ok());
    seqs.push_back(in.seq);
  }
  return seqs;
}

std::vector<stdfs::path> Segments(const ScratchDir& dir) {
  std::vector<stdfs::path> out;
  for (const auto& e : stdfs::directory_iterator(stdfs::path(dir.path()) / ".fsgate/journal")) {
    if (e.path().extension() == ".log") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(JournalCodec, RoundTripsEveryField) {
  Intent in = MakeCreate("a/b/c.txt", std::string("x\0y", 3));
  in.seq = 77;
  in.target_ino = 9;
  std::string buf;
  AppendIntentRecord(in, &buf);
  SealRecords(&buf, RecordSeed(5));
  size_t consumed = 0;
  auto out = DecodeIntentRecord(buf, RecordSeed(5), &consumed);
  ASSERT_TRUE(out);
  EXPECT_EQ(consumed, buf.size());
  EXPECT_EQ(out->op, IntentOp::kCreate);
  EXPECT_EQ(out->seq, 77u);
  EXPECT_EQ(out->key, "a/b/c.txt");
  EXPECT_EQ(out->staging.path, ".fsgate/staging/d.1");
  EXPECT_EQ(out->staging.ino, 42u);
  EXPECT_TRUE(out->staging.delegated);
  EXPECT_EQ(out->target_ino, 9u);
  EXPECT_EQ(out->meta.etag, in.meta.etag);
  EXPECT_EQ(out->meta.mtime_ns, in.meta.mtime_ns);
  EXPECT_EQ(out->meta.user_meta, in.meta.user_meta);
  EXPECT_EQ(out->meta.system_headers, in.meta.system_headers);
  EXPECT_EQ(out->meta.checksums, in.meta.checksums);
  EXPECT_EQ(out->meta.parts_count, 3);
  ASSERT_TRUE(out->inline_data);
  EXPECT_EQ(*out->inline_data, std::string("x\0y", 3));
}

// Format 3: the part sizes of a completed multipart upload ride the record
// (GET ?partNumber=N after a replay); a record without them is format 2's.
TEST(JournalCodec, CarriesPartSizesAndReadsRecordsWithout) {
  Intent in = MakeCreate("mp", "");
  in.inline_data = nullptr;
  in.meta.part_sizes = {5u << 20, (5u << 20) + 1, 17};
  std::string buf;
  AppendIntentRecord(in, &buf);
  SealRecords(&buf, RecordSeed(3));
  size_t consumed = 0;
  auto out = DecodeIntentRecord(buf, RecordSeed(3), &consumed);
  ASSERT_TRUE(out);
  EXPECT_EQ(consumed, buf.size());
  EXPECT_EQ(out->meta.part_sizes, in.meta.part_sizes);
  EXPECT_FALSE(out->inline_data);

  in.meta.part_sizes.clear();
  std::string plain;
  AppendIntentRecord(in, &plain);
  SealRecords(&plain, RecordSeed(3));
  EXPECT_EQ(plain.size() + 4 + 3 * 8, buf.size());  // the layout of format 2, unchanged
  out = DecodeIntentRecord(plain, RecordSeed(3), &consumed);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->meta.part_sizes.empty());
}

// Format 4: tags, the checksum type and part checksums follow the part sizes,
// for a single-part object too (no sizes then).
TEST(JournalCodec, CarriesTagsAndPartChecksums) {
  for (bool multipart : {false, true}) {
    Intent in = MakeCreate("tagged", "x");
    in.meta.tags = {{"project", "blue"}, {"empty", ""}};
    if (multipart) {
      in.meta.part_sizes = {5u << 20, 17};
      in.meta.checksum_type = "COMPOSITE";
      in.meta.part_checksums = {"AAAAAA==", "AQIDBA=="};
    }
    std::string buf;
    AppendIntentRecord(in, &buf);
    SealRecords(&buf, RecordSeed(3));
    size_t consumed = 0;
    auto out = DecodeIntentRecord(buf, RecordSeed(3), &consumed);
    ASSERT_TRUE(out) << multipart;
    EXPECT_EQ(consumed, buf.size());
    EXPECT_EQ(out->meta.tags, in.meta.tags);
    EXPECT_EQ(out->meta.part_sizes, in.meta.part_sizes);
    EXPECT_EQ(out->meta.checksum_type, in.meta.checksum_type);
    EXPECT_EQ(out->meta.part_checksums, in.meta.part_checksums);
  }
}

TEST(JournalCodec, EveryTruncationAndBitFlipIsRejected) {
  Intent in = MakeCreate("k", "hello");
  std::string buf;
  AppendIntentRecord(in, &buf);
  SealRecords(&buf, RecordSeed(1));
  size_t consumed = 0;
  ASSERT_TRUE(DecodeIntentRecord(buf, RecordSeed(1), &consumed));
  for (size_t n = 0; n < buf.size(); ++n) {
    EXPECT_FALSE(DecodeIntentRecord(std::string_view(buf).substr(0, n), RecordSeed(1), &consumed))
        << n;
  }
  for (size_t i = 0; i < buf.size(); ++i) {
    std::string bad = buf;
    bad[i] ^= 0x10;
    EXPECT_FALSE(DecodeIntentRecord(bad, RecordSeed(1), &consumed)) << i;
  }
  EXPECT_FALSE(DecodeIntentRecord(std::string(buf.size(), '\0'), RecordSeed(1), &consumed));
}

// A recycled segment keeps its earlier life's records after the new tail:
// sealed for another first seq, they must not decode as this segment's.
TEST(JournalCodec, RecordsOfAnotherSegmentAreRejected) {
  std::string buf;
  AppendIntentRecord(MakeCreate("k", "hello"), &buf);
  SealRecords(&buf, RecordSeed(100));
  size_t consumed = 0;
  EXPECT_TRUE(DecodeIntentRecord(buf, RecordSeed(100), &consumed));
  EXPECT_FALSE(DecodeIntentRecord(buf, RecordSeed(101), &consumed));
  EXPECT_FALSE(DecodeIntentRecord(buf, RecordSeed(1), &consumed));
}

TEST(JournalCodec, NewerFormatVersionIsRefusedClearly) {
  std::string header = EncodeSegmentHeader(5);
  ASSERT_TRUE(DecodeSegmentHeader(header).ok());
  EXPECT_EQ(DecodeSegmentHeader(header)->first_seq, 5u);
  header[8] =
      static_cast<char>(kJournalFormatVersion + 1);  // CRC fixed up: only the version is wrong
  std::string body = header.substr(0, 24);
  uint32_t crc = Crc32c(body);
  for (int i = 0; i < 4; ++i) header[24 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  auto r = DecodeSegmentHeader(header);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("newer"), std::string::npos) << r.status().message();
}

class JournalTest : public ::testing::Test {
 protected:
  std::unique_ptr<IntentJournal> OpenJournal(std::vector<Intent>* live,
                                             uint64_t segment_bytes = 1 << 20) {
    JournalOptions options;
    options.segment_bytes = segment_bytes;
    auto j = IntentJournal::Open(*backend_, options, metrics_, live);
    EXPECT_TRUE(j.ok()) << j.status().message();
    return j.ok() ? std::move(*j) : nullptr;
  }

  ScratchDir dir_;
  std::unique_ptr<fs::Backend> backend_ = dir_.NewBackend();
  metrics::Metrics metrics_;
};

TEST_F(JournalTest, ConcurrentAppendsShareFlushesAndAllSurviveReopen) {
  std::vector<Intent> live;
  auto journal = OpenJournal(&live);
  ASSERT_TRUE(live.empty());
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Intent in = MakeCreate("t" + std::to_string(t) + "/" + std::to_string(i), "body");
        ASSERT_TRUE(journal->Append(in).ok());
        ASSERT_GT(in.seq, 0u);
      }
    });
  }
  for (auto& t : threads) t.join();
  const double batches = MetricValue(metrics_, "fsgate_commit_seconds");
  EXPECT_GT(batches, 0);
  EXPECT_LE(batches, kThreads * kPerThread);
  journal.reset();

  auto reopened = OpenJournal(&live);
  ASSERT_EQ(live.size(), size_t{kThreads * kPerThread});
  std::set<std::string> keys;
  for (size_t i = 0; i < live.size(); ++i) {
    keys.insert(live[i].key);
    if (i > 0) {
      EXPECT_LT(live[i - 1].seq, live[i].seq);
    }
  }
  EXPECT_EQ(keys.size(), live.size());
  EXPECT_EQ(reopened->next_seq(), live.back().seq + 1);
}

TEST_F(JournalTest, TornTailIsDroppedAndAppendsGoToANewSegment) {
  std::vector<Intent> live;
  auto journal = OpenJournal(&live);
  for (int i = 0; i < 3; ++i) {
    Intent in = MakeCreate("k" + std::to_string(i), "data");
    ASSERT_TRUE(journal->Append(in).ok());
  }
  journal.reset();
  auto segs = Segments(dir_);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(stdfs::file_size(segs[0]), 1u << 20);  // pre-written in full
  // The third record loses its last bytes, as a torn append would.
  std::string data;
  {
    std::ifstream in(segs[0], std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), {});
  }
  const uint32_t seed = DecodeSegmentHeader(data)->record_seed();
  size_t pos = kSegmentHeaderSize, consumed = 0;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(DecodeIntentRecord(std::string_view(data).substr(pos), seed, &consumed));
    pos += consumed;
  }
  ASSERT_TRUE(DecodeIntentRecord(std::string_view(data).substr(pos), seed, &consumed));
  {
    std::fstream out(segs[0], std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(pos + consumed - 5));
    out.write("\0\0\0\0\0", 5);
  }
  journal = OpenJournal(&live);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[1].key, "k1");
  EXPECT_EQ(Segments(dir_).size(), 2u);  // the torn segment is never appended to again
  Intent in = MakeCreate("k3", "data");
  ASSERT_TRUE(journal->Append(in).ok());
  journal.reset();
  live.clear();
  journal = OpenJournal(&live);
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live[2].key, "k3");
  EXPECT_GT(live[2].seq, live[1].seq);
}

TEST_F(JournalTest, TrimmedSegmentsAreRecycledAndTheirOldRecordsNeverReplay) {
  std::vector<Intent> live;
  auto journal = OpenJournal(&live, 4096);
  const std::vector<uint64_t> seqs = AppendCreates(*journal, "old", 60);
  ASSERT_TRUE(journal->Retire(seqs).ok());
  // Spares are recycled segments: new segments are made from them.
  size_t spares = 0;
  for (const auto& e : stdfs::directory_iterator(stdfs::path(dir_.path()) / ".fsgate/journal")) {
    spares += e.path().extension() == ".spare";
  }
  EXPECT_GE(spares, 1u);
  AppendCreates(*journal, "new", 30);
  journal.reset();
  live.clear();
  journal = OpenJournal(&live, 4096);
  ASSERT_EQ(live.size(), 30u);
  for (const Intent& in : live) EXPECT_TRUE(in.key.starts_with("new")) << in.key;
}

// A journal written by format 1 (records CRC'd without a seed, segments not
// pre-written) still replays after an upgrade: its answered ops are not lost.
TEST_F(JournalTest, FormatOneSegmentLeftByAnOlderFsgateIsReplayed) {
  stdfs::create_directories(stdfs::path(dir_.path()) / ".fsgate/journal");
  std::string header = EncodeSegmentHeader(1);
  header[8] = 1;  // format 1, header CRC fixed up
  uint32_t crc = Crc32c(std::string_view(header).substr(0, 24));
  for (int i = 0; i < 4; ++i) header[24 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  Intent old = MakeCreate("from-v1", "data");
  old.seq = 1;
  std::string records;
  AppendIntentRecord(old, &records);
  SealRecords(&records, 0);
  std::ofstream(stdfs::path(dir_.path()) / ".fsgate/journal/00000000000000000001.log",
                std::ios::binary)
      << header << records;
  std::vector<Intent> live;
  auto journal = OpenJournal(&live);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].key, "from-v1");
  Intent next = MakeCreate("after", "x");
  ASSERT_TRUE(journal->Append(next).ok());
  EXPECT_GT(next.seq, 1u);
  journal.reset();
  live.clear();
  journal = OpenJournal(&live);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[1].key, "after");
}

TEST_F(JournalTest, NewerSegmentVersionRefusesToOpen) {
  std::vector<Intent> live;
  OpenJournal(&live).reset();
  auto segs = Segments(dir_);
  ASSERT_EQ(segs.size(), 1u);
  std::string header = EncodeSegmentHeader(1);
  header[8] = 9;
  uint32_t crc = Crc32c(std::string_view(header).substr(0, 24));
  for (int i = 0; i < 4; ++i) header[24 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  std::ofstream(segs[0], std::ios::binary | std::ios::trunc) << header;
  JournalOptions options;
  auto j = IntentJournal::Open(*backend_, options, metrics_, &live);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("newer than this fsgate supports"), std::string::npos);
}

TEST_F(JournalTest, RotatesAndTrimsOnlyWholeSegmentsBelowTheTrimPoint) {
  std::vector<Intent> live;
  auto journal = OpenJournal(&live, 4096);
  const std::vector<uint64_t> seqs = AppendCreates(*journal, "key", 100);
  const size_t before = journal->segment_count();
  ASSERT_GT(before, 3u);
  ASSERT_EQ(Segments(dir_).size(), before);
  ASSERT_TRUE(journal->TrimBefore(seqs[50]).ok());
  EXPECT_LT(journal->segment_count(), before);
  EXPECT_EQ(Segments(dir_).size(), journal->segment_count());
  journal.reset();
  live.clear();
  journal = OpenJournal(&live, 4096);
  ASSERT_FALSE(live.empty());
  EXPECT_LE(live.front().seq, seqs[50]);  // nothing at or past the trim point is gone
  EXPECT_EQ(live.back().seq, seqs.back());
  ASSERT_TRUE(journal->TrimBefore(journal->next_seq()).ok());
  EXPECT_EQ(journal->segment_count(), 1u);  // the segment in use stays
}

TEST_F(JournalTest, RetiredIntentsAreNotReplayedAfterARestart) {
  std::vector<Intent> live;
  auto journal = OpenJournal(&live);
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 10; ++i) {
    Intent in = MakeCreate("k" + std::to_string(i), "x");
    ASSERT_TRUE(journal->Append(in).ok());
    seqs.push_back(in.seq);
  }
  EXPECT_EQ(journal->live_count(), 10u);
  // Intents 0..3 and 5 retired: the checkpoint stops at the oldest live one (4).
  ASSERT_TRUE(journal->Retire({seqs[0], seqs[1], seqs[2], seqs[3], seqs[5]}).ok());
  EXPECT_EQ(journal->live_count(), 5u);
  journal.reset();
  live.clear();
  journal = OpenJournal(&live);
  ASSERT_EQ(live.size(), 6u);  // 4..9: a retired intent above the checkpoint replays (idempotent)
  EXPECT_EQ(live.front().seq, seqs[4]);
  std::vector<uint64_t> rest;
  for (const auto& in : live) rest.push_back(in.seq);
  ASSERT_TRUE(journal->Retire(rest).ok());
  EXPECT_EQ(journal->live_count(), 0u);
  const uint64_t next = journal->next_seq();
  journal.reset();
  live.clear();
  journal = OpenJournal(&live);
  EXPECT_TRUE(live.empty());
  EXPECT_EQ(journal->next_seq(), next);  // seqs keep increasing across restarts
}

}  // namespace
}  // namespace fsgate::dirops
