// S3 errors: the HTTP status AWS uses for each error code, and the XML body.
#pragma once

#include <string>
#include <string_view>

namespace fsgate::gateway {

// HTTP status for an S3 error code (500 for unknown codes).
int HttpStatusForError(std::string_view code);

// <Error><Code/><Message/><Resource/><RequestId/></Error>
std::string ErrorXml(std::string_view code, std::string_view message, std::string_view resource,
                     std::string_view request_id);

// The message AWS sends for a code when the caller has nothing more specific.
std::string_view DefaultErrorMessage(std::string_view code);

}  // namespace fsgate::gateway
