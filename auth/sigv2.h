// SigV2 query-string authentication: the presigned URLs of `s3cmd signurl`,
// boto3 with signature_version='s3' and other older clients
// (?AWSAccessKeyId=…&Expires=…&Signature=…). HMAC-SHA1 of
//   Method \n Content-MD5 \n Content-Type \n Expires \n x-amz-* headers Resource
// with the Resource the raw path (prefixed by the bucket when the bucket is
// in the Host) and the sub-resources S3 lists, sorted. Accepted for every
// method, as AWS does; the payload of a PUT is not covered, as with a SigV4
// presigned URL's UNSIGNED-PAYLOAD. SigV2 in the Authorization header stays
// refused (AWS deprecated it; every current client signs V4).
#pragma once

#include <chrono>
#include <string_view>

#include "auth/sigv4.h"

namespace fsgate::auth {

// Verifies a V2 presigned request. `host_bucket` is the bucket named by the
// Host header (virtual-hosted style), empty for a path-style request.
AuthResult AuthenticatePresignedV2(const RequestView& request, const CredentialStore& users,
                                   std::chrono::system_clock::time_point now,
                                   std::string_view host_bucket);

// The answer to a signature check of `credentials`' user: ok, or
// SignatureDoesNotMatch with AWS's message (V2 URLs and POST forms).
AuthResult SignatureChecked(const Credentials* credentials, bool signature_matches);

// The string a V2 presigned URL signs (for tests and clients).
std::string PresignedV2StringToSign(const RequestView& request, std::string_view expires,
                                    std::string_view host_bucket);

}  // namespace fsgate::auth
