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

}  // namespace
}  // namespace fsgate::gateway
