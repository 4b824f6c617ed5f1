// SigV2, as older clients still sign (s3cmd with signature_v2, boto3 with
// signature_version='s3', Ceph's s3-tests auth_aws2): in the Authorization
// header ("AWS AccessKeyId:Signature") and in presigned URLs
// (?AWSAccessKeyId=…&Expires=…&Signature=…). Both are the base64 HMAC-SHA1 of
//   Method \n Content-MD5 \n Content-Type \n Date-or-Expires \n x-amz-* headers Resource
// with the Resource the raw path (prefixed by the bucket when the bucket is
// in the Host) and the sub-resources S3 lists, sorted. The header form's Date
// line is empty when x-amz-date is sent (it is then among the x-amz-*
// headers), and that time must be within 15 minutes of the server's clock.
// Accepted for every method, as AWS does; the payload is never covered, so
// the body is read as a SigV4 UNSIGNED-PAYLOAD one (Content-MD5 still checked).
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

// Whether an Authorization header is SigV2's ("AWS AccessKeyId:Signature").
bool IsHeaderV2(std::string_view authorization);

// Verifies SigV2 in the Authorization header (IsHeaderV2); `host_bucket` as
// for AuthenticatePresignedV2.
AuthResult AuthenticateHeaderV2(const RequestView& request, std::string_view authorization,
                                const CredentialStore& users,
                                std::chrono::system_clock::time_point now,
                                std::string_view host_bucket);

// The answer to a signature check of `credentials`' user: ok, or
// SignatureDoesNotMatch with AWS's message (V2 URLs and POST forms).
AuthResult SignatureChecked(const Credentials* credentials, bool signature_matches);

// The string a V2 presigned URL signs (for tests and clients).
std::string PresignedV2StringToSign(const RequestView& request, std::string_view expires,
                                    std::string_view host_bucket);
// The string a V2 Authorization header signs.
std::string HeaderV2StringToSign(const RequestView& request, std::string_view host_bucket);

}  // namespace fsgate::auth
