#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <filesystem>

#include "base/hash.h"
#include "store/key_path.h"
#include "store/meta_record.h"
#include "store/object_meta_codec.h"
#include "store_test_util.h"

namespace fsgate::store {
namespace {

using testing::ReadLocalFile;
using testing::StoreTest;
using testing::WriteLocalFile;

class ObjectStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(store_->CreateBucket("bkt").ok());
  }
};

TEST_F(ObjectStoreTest, LayoutAndFormatFile) {
  for (const char* dir : {".fsgate/gw/test/staging", ".fsgate/gw/test/journal", ".fsgate/multipart",
                          ".fsgate/buckets"}) {
    EXPECT_TRUE(std::filesystem::is_directory(Root(dir))) << dir;
  }
  EXPECT_TRUE(std::filesystem::is_regular_file(Root(".fsgate/gw/test/lock")));
  EXPECT_FALSE(std::filesystem::exists(Root(".fsgate/staging")));
  EXPECT_FALSE(std::filesystem::exists(Root(".fsgate/journal")));
  EXPECT_EQ(ReadLocalFile(Root(".fsgate/format")), "2\n");
}

TEST_F(ObjectStoreTest, RefusesNewerStoreFormat) {
  store_.reset();
  WriteLocalFile(Root(".fsgate/format"), "3\n");
  auto backend = fs::MakePosixBackend(dir_.path());
  ASSERT_TRUE(backend.ok());
  auto store = ObjectStore::Open(std::move(*backend), StoreOptions{}, metrics_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer fsgate"), std::string::npos);
}

TEST_F(ObjectStoreTest, Buckets) {
  EXPECT_TRUE(store_->CreateBucket("bkt").Is(s3err::kBucketAlreadyOwnedByYou));
  EXPECT_TRUE(store_->CreateBucket("Bad_Name").Is(s3err::kInvalidBucketName));
  ASSERT_TRUE(store_->CreateBucket("aaa").ok());
  std::filesystem::create_directory(Root("NotABucket"));  // a foreign, invalid name
  auto list = store_->ListBuckets();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "aaa");
  EXPECT_EQ((*list)[1].name, "bkt");
  EXPECT_GT((*list)[0].created_ns, 0);
  EXPECT_TRUE(store_->HeadBucket("zzz").status().Is(s3err::kNoSuchBucket));
  EXPECT_TRUE(store_->DeleteBucket("zzz").Is(s3err::kNoSuchBucket));
  EXPECT_TRUE(Put("zzz", "k", "x").status().Is(s3err::kNoSuchBucket));
  EXPECT_TRUE(store_->GetObject("zzz", "k").status().Is(s3err::kNoSuchBucket));
  EXPECT_TRUE(store_->ListObjects("zzz", {}).status().Is(s3err::kNoSuchBucket));
  EXPECT_TRUE(store_->DeleteObject("zzz", "k").Is(s3err::kNoSuchBucket));

  ASSERT_TRUE(Put("aaa", "x/y/z", "data").ok());
  EXPECT_TRUE(store_->DeleteBucket("aaa").Is(s3err::kBucketNotEmpty));
  ASSERT_TRUE(store_->DeleteObject("aaa", "x/y/z").ok());
  // Directories holding only empty directories count as empty.
  std::filesystem::create_directories(Root("aaa/empty/deeper"));
  ASSERT_TRUE(store_->DeleteBucket("aaa").ok());
  EXPECT_FALSE(std::filesystem::exists(Root("aaa")));
  EXPECT_TRUE(store_->HeadBucket("aaa").status().Is(s3err::kNoSuchBucket));
}

TEST_F(ObjectStoreTest, PutGetHeadDelete) {
  ObjectMeta meta;
  meta.content_type = "text/plain";
  meta.user_meta = {{"color", "blue"}};
  meta.system_headers = {{"cache-control", "no-cache"}};
  auto put = Put("bkt", "dir/sub/hello.txt", "hello", meta);
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_EQ(put->etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(put->size, 5u);
  EXPECT_EQ(ReadLocalFile(Root("bkt/dir/sub/hello.txt")), "hello");

  auto head = store_->HeadObject("bkt", "dir/sub/hello.txt");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->etag, put->etag);
  EXPECT_EQ(head->content_type, "text/plain");
  EXPECT_EQ(head->user_meta, meta.user_meta);
  EXPECT_EQ(head->system_headers, meta.system_headers);
  EXPECT_EQ(head->size, 5u);
  EXPECT_GT(head->mtime_ns, 0);
  EXPECT_EQ(*Get("bkt", "dir/sub/hello.txt"), "hello");

  // Overwrite; a reader of the old version keeps reading it.
  auto old_reader = store_->GetObject("bkt", "dir/sub/hello.txt");
  ASSERT_TRUE(old_reader.ok());
  ASSERT_TRUE(Put("bkt", "dir/sub/hello.txt", "bonjour").ok());
  EXPECT_EQ(*Get("bkt", "dir/sub/hello.txt"), "bonjour");
  char buf[16];
  auto n = (*old_reader)->Read(0, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "hello");

  EXPECT_TRUE(store_->GetObject("bkt", "nope").status().Is(s3err::kNoSuchKey));
  EXPECT_TRUE(store_->HeadObject("bkt", "dir/sub").status().Is(s3err::kNoSuchKey));
  EXPECT_TRUE(store_->HeadObject("bkt", "dir/sub/hello.txt/x").status().Is(s3err::kNoSuchKey));

  ASSERT_TRUE(store_->DeleteObject("bkt", "dir/sub/hello.txt").ok());
  EXPECT_TRUE(store_->GetObject("bkt", "dir/sub/hello.txt").status().Is(s3err::kNoSuchKey));
  EXPECT_TRUE(store_->DeleteObject("bkt", "dir/sub/hello.txt").ok());  // absent: still 204
  // Empty directories pruned up to, not including, the bucket.
  EXPECT_FALSE(std::filesystem::exists(Root("bkt/dir")));
  EXPECT_TRUE(std::filesystem::exists(Root("bkt")));
  // Nothing left in staging.
  EXPECT_TRUE(testing::FilesUnder(Root(".fsgate/gw/test/staging")).empty());
}

TEST_F(ObjectStoreTest, PruneStopsAtNonEmptyAndDirectoryObjects) {
  ASSERT_TRUE(Put("bkt", "a/b/c/d", "1").ok());
  ASSERT_TRUE(Put("bkt", "a/keep", "2").ok());
  ASSERT_TRUE(Put("bkt", "a/b/", "").ok());  // directory object
  ASSERT_TRUE(store_->DeleteObject("bkt", "a/b/c/d").ok());
  EXPECT_FALSE(std::filesystem::exists(Root("bkt/a/b/c")));
  EXPECT_TRUE(std::filesystem::is_directory(Root("bkt/a/b")));
  ASSERT_TRUE(store_->DeleteObject("bkt", "a/b/").ok());
  EXPECT_FALSE(std::filesystem::exists(Root("bkt/a/b")));
  EXPECT_TRUE(std::filesystem::exists(Root("bkt/a/keep")));
}

TEST_F(ObjectStoreTest, DirectoryObjects) {
  ObjectMeta meta;
  meta.content_type = "application/x-directory";
  auto put = Put("bkt", "folder/", "", meta);
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_EQ(put->etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_TRUE(std::filesystem::is_directory(Root("bkt/folder")));
  auto head = store_->HeadObject("bkt", "folder/");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 0u);
  EXPECT_EQ(head->content_type, "application/x-directory");
  EXPECT_EQ(*Get("bkt", "folder/"), "");
  EXPECT_TRUE(store_->HeadObject("bkt", "folder").status().Is(s3err::kNoSuchKey));
  // A directory object with data cannot be stored.
  EXPECT_TRUE(Put("bkt", "other/", "data").status().Is(s3err::kInvalidArgument));
  // An implicit directory is not a directory object.
  ASSERT_TRUE(Put("bkt", "implicit/x", "1").ok());
  EXPECT_TRUE(store_->HeadObject("bkt", "implicit/").status().Is(s3err::kNoSuchKey));
  // Deleting the directory object keeps its contents.
  ASSERT_TRUE(Put("bkt", "folder/inside", "2").ok());
  ASSERT_TRUE(store_->DeleteObject("bkt", "folder/").ok());
  EXPECT_TRUE(store_->HeadObject("bkt", "folder/").status().Is(s3err::kNoSuchKey));
  EXPECT_EQ(*Get("bkt", "folder/inside"), "2");
}

TEST_F(ObjectStoreTest, FileAndDirectoryConflicts) {
  ASSERT_TRUE(Put("bkt", "a", "file").ok());
  auto nested = Put("bkt", "a/b", "x");
  EXPECT_TRUE(nested.status().Is(kKeyConflictCode)) << nested.status().code();
  EXPECT_NE(nested.status().message().find("conflicts"), std::string::npos);
  EXPECT_TRUE(Put("bkt", "a/", "").status().Is(kKeyConflictCode));
  ASSERT_TRUE(Put("bkt", "d/e", "x").ok());
  EXPECT_TRUE(Put("bkt", "d", "file").status().Is(kKeyConflictCode));
  // Nothing changed, nothing left in staging.
  EXPECT_EQ(*Get("bkt", "a"), "file");
  EXPECT_EQ(*Get("bkt", "d/e"), "x");
  EXPECT_TRUE(testing::FilesUnder(Root(".fsgate/gw/test/staging")).empty());
}

TEST_F(ObjectStoreTest, InvalidKeysChangeNothing) {
  for (const char* key : {"../escape", "a/../../escape", "/abs", "a//b", ".fsgate/format", "./x"}) {
    EXPECT_FALSE(Put("bkt", key, "x").ok()) << key;
    EXPECT_FALSE(store_->GetObject("bkt", key).ok()) << key;
    EXPECT_FALSE(store_->DeleteObject("bkt", key).ok()) << key;
  }
  EXPECT_FALSE(std::filesystem::exists(Root("escape")));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/../escape"));
  EXPECT_EQ(ReadLocalFile(Root(".fsgate/format")), "2\n");
  EXPECT_TRUE(store_->GetObject(".fsgate", "format").status().Is(s3err::kInvalidBucketName));
}

TEST_F(ObjectStoreTest, SymlinkInsideBucketIsNotFollowed) {
  WriteLocalFile(dir_.path() + "-outside/secret", "secret");
  std::filesystem::create_directory_symlink(dir_.path() + "-outside", Root("bkt/link"));
  std::filesystem::create_symlink(dir_.path() + "-outside/secret", Root("bkt/file"));
  EXPECT_TRUE(store_->GetObject("bkt", "link/secret").status().Is(s3err::kNoSuchKey));
  EXPECT_TRUE(store_->GetObject("bkt", "file").status().Is(s3err::kNoSuchKey));
  EXPECT_FALSE(Put("bkt", "link/new", "x").ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "-outside/new"));
  EXPECT_TRUE(AllKeys("bkt").empty());
  std::filesystem::remove_all(dir_.path() + "-outside");
}

TEST_F(ObjectStoreTest, ConditionalPut) {
  WriteConditions none_match;
  none_match.if_none_match = "*";
  auto first = Put("bkt", "k", "one", {}, none_match);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(Put("bkt", "k", "two", {}, none_match).status().Is(s3err::kPreconditionFailed));
  EXPECT_EQ(*Get("bkt", "k"), "one");

  WriteConditions match;
  match.if_match = "0123456789abcdef0123456789abcdef";
  EXPECT_TRUE(Put("bkt", "k", "two", {}, match).status().Is(s3err::kPreconditionFailed));
  match.if_match = first->etag;
  ASSERT_TRUE(Put("bkt", "k", "two", {}, match).ok());
  EXPECT_EQ(*Get("bkt", "k"), "two");
  EXPECT_TRUE(Put("bkt", "absent", "x", {}, match).status().Is(s3err::kNoSuchKey));
  EXPECT_TRUE(testing::FilesUnder(Root(".fsgate/gw/test/staging")).empty());
}

TEST_F(ObjectStoreTest, MetadataLimit) {
  ObjectMeta meta;
  meta.user_meta = {{"a", std::string(2047, 'x')}};  // 2048 bytes: the limit
  EXPECT_TRUE(Put("bkt", "ok", "x", meta).ok());
  meta.user_meta = {{"ab", std::string(2047, 'x')}};
  EXPECT_TRUE(Put("bkt", "big", "x", meta).status().Is(s3err::kMetadataTooLarge));
  EXPECT_TRUE(store_->HeadObject("bkt", "big").status().Is(s3err::kNoSuchKey));
}

TEST_F(ObjectStoreTest, IncompleteBodyIsRefused) {
  PutRequest request;
  request.bucket = "bkt";
  request.key = "short";
  request.expected_size = 10;
  auto writer = store_->BeginPut(std::move(request));
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(std::string_view("12345")).ok());
  EXPECT_TRUE((*writer)->Commit({}).status().Is(s3err::kIncompleteBody));
  writer->reset();
  EXPECT_TRUE(store_->HeadObject("bkt", "short").status().Is(s3err::kNoSuchKey));
  EXPECT_TRUE(testing::FilesUnder(Root(".fsgate/gw/test/staging")).empty());
}

TEST_F(ObjectStoreTest, AbandonedWriterLeavesNoTrace) {
  PutRequest request;
  request.bucket = "bkt";
  request.key = "gone";
  auto writer = store_->BeginPut(std::move(request));
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(std::string_view("partial")).ok());
  writer->reset();
  EXPECT_TRUE(store_->HeadObject("bkt", "gone").status().Is(s3err::kNoSuchKey));
  EXPECT_TRUE(testing::FilesUnder(Root(".fsgate/gw/test/staging")).empty());
}

TEST_F(ObjectStoreTest, ExternalFilesHaveStableDerivedEtag) {
  WriteLocalFile(Root("bkt/ext/file.bin"), "placed by cp");
  auto head = store_->HeadObject("bkt", "ext/file.bin");
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->content_type, "binary/octet-stream");
  EXPECT_EQ(head->size, 12u);
  struct stat st {};
  ASSERT_EQ(::stat(Root("bkt/ext/file.bin").c_str(), &st), 0);
  fs::FileStat fs;
  fs.ino = st.st_ino;
  fs.size = static_cast<uint64_t>(st.st_size);
  fs.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  EXPECT_EQ(head->etag, HexEncode(Digest(HashAlgorithm::kMd5, std::to_string(fs.ino) + ":12:" +
                                                                  std::to_string(fs.mtime_ns))) +
                            "-1");
  EXPECT_EQ(store_->HeadObject("bkt", "ext/file.bin")->etag, head->etag);  // stable
  EXPECT_EQ(*Get("bkt", "ext/file.bin"), "placed by cp");
  ListRequest list;
  auto listed = store_->ListObjects("bkt", list);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->objects.size(), 1u);
  EXPECT_EQ(listed->objects[0].meta.etag, head->etag);
  // Changing the file changes the ETag.
  WriteLocalFile(Root("bkt/ext/file.bin"), "placed by cp, then edited");
  EXPECT_NE(store_->HeadObject("bkt", "ext/file.bin")->etag, head->etag);
}

TEST_F(ObjectStoreTest, NewerMetadataFormatIsRefused) {
  ASSERT_TRUE(Put("bkt", "future", "x").ok());
  // A record version this binary does not know.
  const std::string record(1, static_cast<char>(kMetaRecordVersion + 1));
  ASSERT_EQ(::setxattr(Root("bkt/future").c_str(), kXattrRecord, record.data(), record.size(), 0),
            0);
  auto head = store_->HeadObject("bkt", "future");
  ASSERT_FALSE(head.ok());
  EXPECT_NE(head.status().message().find("newer fsgate"), std::string::npos);
  EXPECT_FALSE(store_->GetObject("bkt", "future").ok());

  // The same through the format 1 version xattr, when no record is there.
  ASSERT_EQ(::removexattr(Root("bkt/future").c_str(), kXattrRecord), 0);
  ASSERT_EQ(::setxattr(Root("bkt/future").c_str(), kXattrVersion, "2", 1, 0), 0);
  ASSERT_EQ(::setxattr(Root("bkt/future").c_str(), kXattrEtag, "e", 1, 0), 0);
  head = store_->HeadObject("bkt", "future");
  ASSERT_FALSE(head.ok());
  EXPECT_NE(head.status().message().find("newer fsgate"), std::string::npos);
}

// Objects written by an fsgate of metadata format 1 (four xattrs) keep their
// ETag, content type, user metadata, checksums, and listing ETag.
TEST_F(ObjectStoreTest, FormatOneObjectsAreStillServed) {
  const std::string path = Root("bkt/old/one.txt");
  std::filesystem::create_directories(Root("bkt/old"));
  WriteLocalFile(path, "written long ago");
  const std::string etag = HexEncode(Digest(HashAlgorithm::kMd5, "written long ago"));
  const std::string json =
      R"({"ct":"text/plain","user":[["color","blue"]],"ck":[["CRC32","AAAAAA=="]]})";
  for (const auto& [name, value] : std::vector<std::pair<const char*, std::string>>{
           {kXattrMeta, json}, {kXattrEtag, etag}, {kXattrSeq, "42"}, {kXattrVersion, "1"}}) {
    ASSERT_EQ(::setxattr(path.c_str(), name, value.data(), value.size(), 0), 0) << name;
  }
  auto head = store_->HeadObject("bkt", "old/one.txt");
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->etag, etag);
  EXPECT_EQ(head->content_type, "text/plain");
  EXPECT_EQ(head->user_meta, (HeaderList{{"color", "blue"}}));
  EXPECT_EQ(head->checksums, (HeaderList{{"CRC32", "AAAAAA=="}}));
  ListRequest list;
  list.prefix = "old/";
  auto listed = store_->ListObjects("bkt", list);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->objects.size(), 1u);
  EXPECT_EQ(listed->objects[0].meta.etag, etag);
}

// Format 2 keeps an object's metadata in one xattr; a fresh PUT leaves no
// format 1 xattr behind.
TEST_F(ObjectStoreTest, ObjectsAreWrittenInFormatTwo) {
  ObjectMeta meta;
  meta.content_type = "text/plain";
  ASSERT_TRUE(Put("bkt", "new", "fresh", meta).ok());
  char buf[256];
  EXPECT_GT(::getxattr(Root("bkt/new").c_str(), kXattrRecord, buf, sizeof(buf)), 0);
  for (const char* v1 : {kXattrVersion, kXattrEtag, kXattrMeta, kXattrSeq}) {
    EXPECT_LT(::getxattr(Root("bkt/new").c_str(), v1, buf, sizeof(buf)), 0) << v1;
  }
}

TEST_F(ObjectStoreTest, CopyObject) {
  ObjectMeta meta;
  meta.content_type = "text/plain";
  meta.user_meta = {{"k", "v"}};
  auto src = Put("bkt", "src", "copy me", meta);
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE(store_->CreateBucket("other").ok());

  CopyRequest copy;
  copy.src_bucket = "bkt";
  copy.src_key = "src";
  copy.dst_bucket = "other";
  copy.dst_key = "deep/dst";
  bool checked = false;
  copy.check_source = [&](const ObjectMeta& m) {
    checked = m.etag == src->etag;
    return Status::Ok();
  };
  auto copied = store_->CopyObject(copy);
  ASSERT_TRUE(copied.ok()) << copied.status().message();
  EXPECT_TRUE(checked);
  EXPECT_EQ(copied->etag, src->etag);
  EXPECT_EQ(*Get("other", "deep/dst"), "copy me");
  auto head = store_->HeadObject("other", "deep/dst");
  EXPECT_EQ(head->content_type, "text/plain");
  EXPECT_EQ(head->user_meta, meta.user_meta);

  // Source check failing stops the copy.
  copy.dst_key = "never";
  copy.check_source = [](const ObjectMeta&) { return S3Error(s3err::kPreconditionFailed, "no"); };
  EXPECT_TRUE(store_->CopyObject(copy).status().Is(s3err::kPreconditionFailed));
  EXPECT_TRUE(store_->HeadObject("other", "never").status().Is(s3err::kNoSuchKey));
  copy.check_source = nullptr;

  // Onto itself: only with REPLACE.
  CopyRequest self;
  self.src_bucket = self.dst_bucket = "bkt";
  self.src_key = self.dst_key = "src";
  auto refused = store_->CopyObject(self);
  EXPECT_TRUE(refused.status().Is(s3err::kInvalidRequest));
  EXPECT_NE(refused.status().message().find("copy an object to itself"), std::string::npos);
  self.replace_metadata = true;
  self.new_meta.content_type = "application/json";
  self.new_meta.user_meta = {{"new", "1"}};
  ASSERT_TRUE(store_->CopyObject(self).ok());
  head = store_->HeadObject("bkt", "src");
  EXPECT_EQ(head->content_type, "application/json");
  EXPECT_EQ(head->user_meta, self.new_meta.user_meta);
  EXPECT_EQ(*Get("bkt", "src"), "copy me");

  // Missing source; missing destination bucket.
  copy.src_key = "missing";
  EXPECT_TRUE(store_->CopyObject(copy).status().Is(s3err::kNoSuchKey));
  copy.src_key = "src";
  copy.dst_bucket = "nobucket";
  EXPECT_TRUE(store_->CopyObject(copy).status().Is(s3err::kNoSuchBucket));

  // A foreign source gets a real MD5 in the copy.
  WriteLocalFile(Root("bkt/foreign"), "abc");
  copy.src_key = "foreign";
  copy.dst_bucket = "bkt";
  copy.dst_key = "foreign-copy";
  auto fc = store_->CopyObject(copy);
  ASSERT_TRUE(fc.ok());
  EXPECT_EQ(fc->etag, "900150983cd24fb0d6963f7d28e17f72");

  // Conditional destination.
  copy.conditions.if_none_match = "*";
  EXPECT_TRUE(store_->CopyObject(copy).status().Is(s3err::kPreconditionFailed));
  EXPECT_TRUE(testing::FilesUnder(Root(".fsgate/gw/test/staging")).empty());
}

TEST_F(ObjectStoreTest, LargeObjectsStreamThroughTheStagingFile) {
  std::string body(kInlineObjectMax * 3 + 17, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 + i / 251);
  PutRequest request;
  request.bucket = "bkt";
  request.key = "big/object";
  auto writer = store_->BeginPut(std::move(request));
  ASSERT_TRUE(writer.ok());
  for (size_t off = 0; off < body.size(); off += 10000) {
    ASSERT_TRUE((*writer)->Write(std::string_view(body).substr(off, 10000)).ok());
  }
  std::string md5 = Digest(HashAlgorithm::kMd5, body);
  EXPECT_EQ((*writer)->Md5(), md5);  // Content-MD5 check before the commit
  auto meta = (*writer)->Commit({});
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  EXPECT_EQ(meta->etag, HexEncode(md5));
  EXPECT_EQ(meta->size, body.size());
  EXPECT_EQ(*Get("bkt", "big/object"), body);
  EXPECT_EQ(ReadLocalFile(Root("bkt/big/object")), body);
  EXPECT_EQ(store_->HeadObject("bkt", "big/object")->etag, HexEncode(md5));
}

TEST_F(ObjectStoreTest, CommitMetadataMergesOverTheRequest) {
  PutRequest request;
  request.bucket = "bkt";
  request.key = "k";
  request.meta.content_type = "text/html";
  request.meta.user_meta = {{"a", "1"}};
  auto writer = store_->BeginPut(std::move(request));
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(std::string_view("x")).ok());
  ObjectMeta at_commit;
  at_commit.checksums = {{"CRC32", "jHNlIQ=="}};
  ASSERT_TRUE((*writer)->Commit(at_commit).ok());
  auto head = store_->HeadObject("bkt", "k");
  EXPECT_EQ(head->content_type, "text/html");
  EXPECT_EQ(head->user_meta, (HeaderList{{"a", "1"}}));
  EXPECT_EQ(head->checksums, at_commit.checksums);
}

// The same paths with fsync on: every file and directory sync must succeed.
TEST_F(ObjectStoreTest, WorksWithFsyncOn) {
  fsync_ = true;
  Reopen();
  ASSERT_TRUE(store_->CreateBucket("durable").ok());
  ASSERT_TRUE(Put("durable", "a/b/small", "x").ok());
  ASSERT_TRUE(Put("durable", "a/b/large", std::string(kInlineObjectMax + 1, 'y')).ok());
  ASSERT_TRUE(Put("durable", "a/dir/", "").ok());
  CopyRequest copy;
  copy.src_bucket = copy.dst_bucket = "durable";
  copy.src_key = "a/b/large";
  copy.dst_key = "c/copy";
  ASSERT_TRUE(store_->CopyObject(copy).ok());
  EXPECT_EQ(Get("durable", "c/copy")->size(), kInlineObjectMax + 1);
  ASSERT_TRUE(store_->DeleteObject("durable", "a/b/small").ok());
  ASSERT_TRUE(store_->DeleteObject("durable", "a/dir/").ok());
  EXPECT_EQ(AllKeys("durable"), (std::vector<std::string>{"a/b/large", "c/copy"}));
}

}  // namespace
}  // namespace fsgate::store
