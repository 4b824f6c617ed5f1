// Nodes and their attributes on the real posix backend: (top, name) and back,
// the engine's seq framed into the caller's blob, a directory node marked by
// an older format's xattr alone.
#include "dirops/node_attrs.h"

#include <gtest/gtest.h>

#include "async_test_util.h"
#include "base/tlv_fields.h"
#include "dirops/node.h"
#include "fs/backend_wrapper.h"

namespace fsgate::dirops {
namespace {

using testing::ScratchDir;

TEST(Node, SplitAndJoinKeepTheKind) {
  auto [top, name] = SplitNode({"bkt/a/b", NodeKind::kDirectory});
  EXPECT_EQ(top, "bkt");
  EXPECT_EQ(name, "a/b/");
  EXPECT_EQ(NodeFsPath(top, name), "bkt/a/b");
  EXPECT_EQ(JoinNode(top, name).kind, NodeKind::kDirectory);
  auto [ftop, fname] = SplitNode({"bkt/a/b", NodeKind::kFile});
  EXPECT_EQ(fname, "a/b");
  EXPECT_EQ(JoinNode(ftop, fname).kind, NodeKind::kFile);
}

// A blob of the caller's framing: a version byte, then fields.
std::string Blob() {
  std::string blob(1, '\x02');
  PutField(blob, 'e', "etag");
  PutField(blob, 'c', "text/plain");
  return blob;
}

TEST(NodeAttrs, SeqIsFramedAndStripped) {
  const std::string framed = FrameAttrs(Blob(), 300);
  EXPECT_EQ(framed.substr(0, Blob().size()), Blob());
  const FramedAttrs back = UnframeAttrs(framed);
  EXPECT_EQ(back.blob, Blob());
  EXPECT_EQ(back.seq, 300u);
  EXPECT_EQ(FrameAttrs(Blob(), 0), Blob());
  // Not fields: handed back whole, for the caller's decoder to refuse.
  const std::string junk("\x02zz\xff", 4);
  EXPECT_EQ(UnframeAttrs(junk).blob, junk);
  EXPECT_EQ(UnframeAttrs(junk).seq, 0u);
}

TEST(NodeAttrs, FileAndDirectoryNodesOnTheBackend) {
  ScratchDir dir;
  auto backend = dir.NewBackend();
  NodeAttrNames names;
  names.legacy = {"user.fsgate.v"};
  ASSERT_TRUE(backend->Mkdir("bkt").ok());
  {
    auto file = backend->Open("bkt/f", fs::Backend::OpenMode::kCreateExclusive);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(WriteFileAttrs(**file, names, Blob(), 77).ok());
    auto attrs = ReadFileAttrs(**file, names);
    ASSERT_TRUE(attrs.ok() && attrs->has_value());
    EXPECT_EQ((*attrs)->blob, Blob());
  }
  EXPECT_EQ(*ReadFileSeq(*backend, "bkt/f", names), 77u);

  ASSERT_TRUE(backend->Mkdir("bkt/d").ok());
  EXPECT_FALSE(ReadDirAttrs(*backend, "bkt/d", names)->has_value());  // a plain directory
  ASSERT_TRUE(backend->SetXattr("bkt/d", "user.fsgate.v", "1").ok());
  auto legacy = ReadDirAttrs(*backend, "bkt/d", names);
  ASSERT_TRUE(legacy.ok() && legacy->has_value());
  EXPECT_TRUE((*legacy)->empty());  // a node, its attributes the caller's to read
  ASSERT_TRUE(WriteDirAttrs(*backend, "bkt/d", names, Blob()).ok());
  EXPECT_EQ(**ReadDirAttrs(*backend, "bkt/d", names), Blob());
  ASSERT_TRUE(RemoveDirAttrs(*backend, "bkt/d", names).ok());
  EXPECT_FALSE(ReadDirAttrs(*backend, "bkt/d", names)->has_value());  // both gone
}

// A decorator counting the path stats it is asked for; as every decorator,
// it has no directory handles of its own (CephFS has none either).
class StatCounting final : public fs::BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Result<fs::FileStat> Stat(const std::string& path) override {
    ++stats;
    return BackendWrapper::Stat(path);
  }
  int stats = 0;
};

// Through a backend without directory handles a directory node's attributes
// cost only their path reads: no stat of the parent to open it.
TEST(NodeAttrs, DirAttrsWithoutDirHandlesAddNoStat) {
  ScratchDir dir;
  StatCounting backend(dir.NewBackend());
  NodeAttrNames names;
  names.legacy = {"user.fsgate.v", "user.fsgate.w"};
  ASSERT_FALSE(backend.HasDirHandles());
  ASSERT_TRUE(backend.Mkdir("bkt").ok());
  ASSERT_TRUE(backend.Mkdir("bkt/d").ok());
  EXPECT_FALSE(ReadDirAttrs(backend, "bkt/d", names)->has_value());
  ASSERT_TRUE(WriteDirAttrs(backend, "bkt/d", names, Blob()).ok());
  EXPECT_EQ(**ReadDirAttrs(backend, "bkt/d", names), Blob());
  EXPECT_EQ(backend.stats, 0);
  EXPECT_EQ(ReadDirAttrs(backend, "bkt/gone", names).status().IsErrno(ENOENT), true);
}

}  // namespace
}  // namespace fsgate::dirops
