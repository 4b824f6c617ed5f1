#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "async_test_util.h"
#include "base/hash.h"
#include "dirops/intent_codec.h"
#include "dirops/intent_journal.h"
#include "dirops/journal_segments.h"
#include "fs/direct_log_file.h"
#include "store/legacy_intent_codec.h"
#include "tests/unit/store/legacy_intent_writer.h"

namespace fsgate::dirops {
namespace {

using testing::MetricValue;
using testing::ScratchDir;
namespace stdfs = std::filesystem;

Intent MakeCreate(const std::string& key, const std::string& body) {
  Intent in;
  in.op = IntentOp::kCreate;
  in.top = "bkt";
  in.name = key;
  in.staging = {".fsgate/staging/d.1", 42, true};
  in.attrs = std::string("\x02opaque\0attrs", 14);
  in.mtime_ns = 1700000000123456789;
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
  EXPECT_EQ(out->top, "bkt");
  EXPECT_EQ(out->name, "a/b/c.txt");
  EXPECT_EQ(out->staging.path, ".fsgate/staging/d.1");
  EXPECT_EQ(out->staging.ino, 42u);
  EXPECT_TRUE(out->staging.delegated);
  EXPECT_EQ(out->target_ino, 9u);
  EXPECT_EQ(out->attrs, in.attrs);
  EXPECT_EQ(out->mtime_ns, in.mtime_ns);
  ASSERT_TRUE(out->inline_data);
  EXPECT_EQ(*out->inline_data, std::string("x\0y", 3));
}

// A directory node keeps its kind: its name comes back with the '/'.
TEST(JournalCodec, DirectoryNodeAndStreamedCreateRoundTrip) {
  Intent in = MakeCreate("d/e/", "");
  in.inline_data = nullptr;
  std::string buf;
  AppendIntentRecord(in, &buf);
  SealRecords(&buf, RecordSeed(3));
  size_t consumed = 0;
  auto out = DecodeIntentRecord(buf, RecordSeed(3), &consumed);
  ASSERT_TRUE(out);
  EXPECT_EQ(consumed, buf.size());
  EXPECT_EQ(out->name, "d/e/");
  EXPECT_EQ(out->node().path, "bkt/d/e");
  EXPECT_EQ(out->node().kind, NodeKind::kDirectory);
  EXPECT_FALSE(out->inline_data);
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
    options.legacy_records = store::DecodeLegacyIntent;  // as the store registers it
    auto j = IntentJournal::Open(*backend_, options, metrics_, live);
    EXPECT_TRUE(j.ok()) << j.status().message();
    return j.ok() ? std::move(*j) : nullptr;
  }

  ScratchDir dir_;
  std::unique_ptr<fs::Backend> backend_ = dir_.NewBackend();
  metrics::Metrics metrics_;
};

// A segment is a log (written around the cache, direct_log_file.h) only when
// each append is synced: with --fsync off a direct write would wait for the
// disk that nothing else waits for.
TEST(JournalSegments, SegmentsGoAroundTheCacheOnlyWhenAppendsAreSynced) {
  for (bool fsync : {true, false}) {
    ScratchDir dir;
    auto backend = dir.NewBackend();
    ASSERT_TRUE(backend->Mkdir("j").ok());
    JournalSegments segments(*backend, {.dir = "j", .segment_bytes = 1 << 16, .fsync = fsync});
    ASSERT_TRUE(segments.Start({}).ok());
    auto file = segments.Create(1, "HEADER");
    ASSERT_TRUE(file.ok()) << file.status().message();
    EXPECT_EQ(dynamic_cast<fs::DirectLogFile*>(file->get()) != nullptr, fsync) << fsync;
    segments.Stop();
  }
}

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
    keys.insert(live[i].name);
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
  EXPECT_EQ(live[1].name, "k1");
  EXPECT_EQ(Segments(dir_).size(), 2u);  // the torn segment is never appended to again
  Intent in = MakeCreate("k3", "data");
  ASSERT_TRUE(journal->Append(in).ok());
  journal.reset();
  live.clear();
  journal = OpenJournal(&live);
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live[2].name, "k3");
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
  for (const Intent& in : live) EXPECT_TRUE(in.name.starts_with("new")) << in.name;
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
  store::ObjectMeta meta;
  meta.etag = "0123456789abcdef0123456789abcdef";
  const std::string records = store::testing::LegacyRecord(
      store::testing::EncodeLegacyIntent(old, "bkt", "from-v1", meta), 0);
  std::ofstream(stdfs::path(dir_.path()) / ".fsgate/journal/00000000000000000001.log",
                std::ios::binary)
      << header << records;
  std::vector<Intent> live;
  auto journal = OpenJournal(&live);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].name, "from-v1");
  Intent next = MakeCreate("after", "x");
  ASSERT_TRUE(journal->Append(next).ok());
  EXPECT_GT(next.seq, 1u);
  journal.reset();
  live.clear();
  journal = OpenJournal(&live);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[1].name, "after");
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
