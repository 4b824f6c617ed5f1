// Additional checksums where S3 names them beyond a PUT's headers:
// CreateMultipartUpload's x-amz-checksum-algorithm and x-amz-checksum-type,
// and the Checksum<ALGORITHM> elements of XML documents (ListParts,
// CompleteMultipartUpload, CopyPartResult, GetObjectAttributes).
#pragma once

#include <pugixml.hpp>
#include <string>

#include "base/status.h"
#include "http/http_message.h"
#include "store/object_store.h"

namespace fsgate::gateway {

struct ChecksumMode {
  std::string algorithm;  // upper case; empty: none
  std::string type;       // "COMPOSITE" or "FULL_OBJECT" with an algorithm
};

// x-amz-checksum-algorithm and x-amz-checksum-type of a CreateMultipartUpload,
// with AWS's defaults (FULL_OBJECT for CRC64NVME, COMPOSITE for the others)
// and refusals (InvalidRequest): a type without an algorithm, COMPOSITE with
// CRC64NVME, FULL_OBJECT with SHA1 or SHA256, unknown values.
Result<ChecksumMode> ChecksumModeFromRequest(const http::HttpRequest& request);

// What a CompleteMultipartUpload's headers say of the object: its
// x-amz-checksum-<algorithm> (InvalidRequest for an unknown algorithm),
// x-amz-checksum-type, x-amz-mp-object-size (InvalidRequest unless a
// non-negative integer).
Result<store::CompleteClaims> CompleteClaimsFromRequest(const http::HttpRequest& request);

// "Checksum" + algorithm ("ChecksumCRC32"), the element S3 gives a checksum.
std::string ChecksumElementName(std::string_view algorithm);
// <ChecksumCRC32>…</ChecksumCRC32> and the like, one per checksum.
void AppendChecksumElements(pugi::xml_node parent, const store::HeaderList& checksums);

}  // namespace fsgate::gateway
