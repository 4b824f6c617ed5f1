#include "store/store_layout.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tests/unit/dirops/async_test_util.h"

namespace fsgate::store {
namespace {

using dirops::testing::ScratchDir;

// The gateways' directory carries FS_TOPDIR_FL on ext4, so each gateway's
// directory (its intent journal's segment files) is placed in a block group of
// its own, not beside the buckets' new directories (store_layout.cpp says
// what that cost).
TEST(StoreLayout, GatewaysDirectoryIsMarkedAsATopDirectoryWhereSupported) {
  ScratchDir dir;
  auto backend = dir.NewBackend();
  ASSERT_TRUE(InitStoreLayout(*backend, /*fsync=*/false).ok());
  const std::string path = dir.path() + "/" + layout::kGateways;
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  int flags = 0;
  const bool supported = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  ::close(fd);
  if (!supported) {
    GTEST_SKIP() << "the scratch filesystem has no inode flags (not ext*): nothing to check";
  }
  EXPECT_NE(flags & FS_TOPDIR_FL, 0);
  // A second start keeps it (and does not fail on it).
  ASSERT_TRUE(InitStoreLayout(*backend, /*fsync=*/false).ok());
}

}  // namespace
}  // namespace fsgate::store
