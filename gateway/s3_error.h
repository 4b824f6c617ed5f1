// S3 errors: the HTTP status AWS uses for each error code, and the XML body.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace fsgate::gateway {

// The S3 error a failed Status is answered with; the one place a Status
// becomes an S3 error. A Status whose reason names an S3 code (store/s3_errors.h)
// keeps that code and its message. Any other is answered by its neutral code
// with AWS's message for the S3 code it maps to, never the Status's own text:
// a system error is SlowDown when the filesystem is full (kNoSpace, ENOSPC:
// worth a retry later) and InternalError otherwise, never showing the errno.
struct S3ErrorOfStatus {
  std::string_view code;
  std::string_view message;
};
S3ErrorOfStatus S3ErrorFor(const Status& status);
// The S3 code a neutral code is answered with when no reason names one.
std::string_view S3CodeOfNeutral(StatusCode code);

// HTTP status for an S3 error code (500 for unknown codes).
int HttpStatusForError(std::string_view code);

// Elements some errors carry after Message: HeadersNotSigned, Region,
// ArgumentName/ArgumentValue, ProposedSize/MaxSizeAllowed, ...
using ErrorDetails = std::vector<std::pair<std::string, std::string>>;

// The ArgumentName/ArgumentValue pair AWS adds to InvalidArgument errors.
ErrorDetails ArgumentDetails(std::string_view name, std::string_view value);

// <Error><Code/><Message/>details...<Resource/><RequestId/></Error>.
// Control characters (but HTAB) and invalid UTF-8 in the client-supplied text
// are percent-encoded: XML 1.0 cannot carry them.
std::string ErrorXml(std::string_view code, std::string_view message, std::string_view resource,
                     std::string_view request_id, const ErrorDetails& details = {});

// The message AWS sends for a code when the caller has nothing more specific.
std::string_view DefaultErrorMessage(std::string_view code);

}  // namespace fsgate::gateway
