// The body of a request that carries an S3 XML document (DeleteObjects,
// CompleteMultipartUpload, CreateBucket's configuration): read whole, bounded,
// and checked against the client's Content-MD5 before anything parses it.
#include "base/hash.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_handlers.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {

Result<std::string> ReadXmlBody(S3Context& ctx, bool integrity_required) {
  const uint64_t limit = ctx.row != nullptr ? ctx.row->body_limit : 0;
  std::optional<std::string> content_md5;
  if (Status s = ReadContentMd5(ctx.request, content_md5); !s.ok()) return s;
  if (integrity_required && !content_md5 && !ctx.payload.checksum_declared()) {
    return S3Error(s3err::kInvalidRequest,
                   "Missing required header for this request: Content-MD5 OR x-amz-checksum-*");
  }
  // A declared length over the limit is refused before a byte is read.
  if (auto declared = ctx.payload.declared_length(); declared && *declared > limit) {
    return S3Error("MalformedXML", "The request body is too large.");
  }
  // ReadAll also verifies an x-amz-checksum-* value (BadDigest on a mismatch).
  auto body = ctx.payload.ReadAll(limit);
  if (!body.ok()) return body;
  if (content_md5) {
    Hasher md5(HashAlgorithm::kMd5);
    md5.Update(*body);
    if (md5.Finish() != *content_md5) {
      return S3Error(s3err::kBadDigest,
                     "The Content-MD5 you specified did not match what we received.");
    }
  }
  return body;
}

}  // namespace fsgate::gateway
