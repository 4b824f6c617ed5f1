// S3 errors: the HTTP status AWS uses for each error code, and the XML body.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fsgate::gateway {

// HTTP status for an S3 error code (500 for unknown codes).
int HttpStatusForError(std::string_view code);

// Elements some errors carry after Message, e.g. HeadersNotSigned, Region.
using ErrorDetails = std::vector<std::pair<std::string, std::string>>;

// <Error><Code/><Message/>details...<Resource/><RequestId/></Error>
std::string ErrorXml(std::string_view code, std::string_view message, std::string_view resource,
                     std::string_view request_id, const ErrorDetails& details = {});

// The message AWS sends for a code when the caller has nothing more specific.
std::string_view DefaultErrorMessage(std::string_view code);

}  // namespace fsgate::gateway
