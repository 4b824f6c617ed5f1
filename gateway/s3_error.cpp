#include "gateway/s3_error.h"
#include "base/utf8.h"

#include <cerrno>
#include <unordered_map>

#include "base/percent_encoding.h"
#include "gateway/xml.h"
#include "store/key_path.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {
namespace {

struct ErrorInfo {
  int status;
  std::string_view message;
};

const std::unordered_map<std::string_view, ErrorInfo>& ErrorTable() {
  static const std::unordered_map<std::string_view, ErrorInfo> table = {
      {"AccessDenied", {403, "Access Denied"}},
      {"AccessForbidden", {403, "Access Forbidden"}},
      {"AuthorizationHeaderMalformed", {400, "The authorization header is malformed."}},
      {"AuthorizationQueryParametersError", {400, "Error parsing the X-Amz-Credential parameter."}},
      {"BadRequest", {400, "An error occurred when parsing the HTTP request."}},
      {"BadDigest", {400, "The Content-MD5 you specified did not match what we received."}},
      {"BucketAlreadyExists",
       {409,
        "The requested bucket name is not available. The bucket namespace is shared by all "
        "users of the system. Please select a different name and try again."}},
      {"BucketAlreadyOwnedByYou",
       {409, "Your previous request to create the named bucket succeeded and you already own it."}},
      {"BucketNotEmpty", {409, "The bucket you tried to delete is not empty"}},
      {"ConditionalRequestConflict",
       {409, "A conflicting operation occurred. If using PutObject you can retry the request."}},
      {"EntityTooLarge", {400, "Your proposed upload exceeds the maximum allowed size"}},
      {"EntityTooSmall",
       {400, "Your proposed upload is smaller than the minimum allowed object size."}},
      {"IncompleteBody",
       {400,
        "You did not provide the number of bytes specified by the Content-Length HTTP header."}},
      {"IllegalLocationConstraintException",
       {400,
        "The location constraint is incompatible for the region specific endpoint this request "
        "was sent to."}},
      {"InternalError", {500, "We encountered an internal error. Please try again."}},
      {"InvalidAccessKeyId",
       {403, "The AWS Access Key Id you provided does not exist in our records."}},
      {"InvalidArgument", {400, "Invalid Argument"}},
      {"InvalidBucketName", {400, "The specified bucket is not valid."}},
      {"InvalidChunkSizeError",
       {403, "Only the last chunk is allowed to have a size less than 8192 bytes"}},
      {"InvalidDigest", {400, "The Content-MD5 you specified is not valid."}},
      {"InvalidLocationConstraint", {400, "The specified location-constraint is not valid"}},
      {"InvalidPolicyDocument", {400, "Invalid Policy"}},
      {"IncorrectNumberOfFilesInPostRequest",
       {400, "POST requires exactly one file upload per request."}},
      {"MalformedPOSTRequest",
       {400, "The body of your POST request is not well-formed multipart/form-data."}},
      {"MaxPostPreDataLengthExceededError",
       {400, "Your POST request fields preceding the upload file were too large."}},
      {"InvalidPart",
       {400,
        "One or more of the specified parts could not be found. The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag."}},
      {"InvalidPartOrder",
       {400,
        "The list of parts was not in ascending order. Parts must be ordered by part number."}},
      {"InvalidStorageClass", {400, "The storage class you specified is not valid"}},
      {"InvalidTag", {400, "The tag provided was not a valid tag."}},
      {"InvalidURI", {400, "Couldn't parse the specified URI."}},
      {"InvalidRange", {416, "The requested range is not satisfiable"}},
      {"InvalidPartNumber", {416, "The requested partnumber is not satisfiable"}},
      {"InvalidRequest", {400, "Invalid Request"}},
      {"KeyTooLongError", {400, "Your key is too long"}},
      {"MalformedXML",
       {400,
        "The XML you provided was not well-formed or did not validate against our published "
        "schema"}},
      {"MetadataTooLarge",
       {400, "Your metadata headers exceed the maximum allowed metadata size."}},
      {"MethodNotAllowed", {405, "The specified method is not allowed against this resource."}},
      {"MissingContentLength", {411, "You must provide the Content-Length HTTP header."}},
      {"NoSuchBucket", {404, "The specified bucket does not exist"}},
      {"NoSuchKey", {404, "The specified key does not exist."}},
      {"NoSuchVersion", {404, "The specified version does not exist."}},
      {"IllegalVersioningConfigurationException",
       {400, "The Versioning element must be specified"}},
      {"NoSuchUpload",
       {404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may "
        "have been aborted or completed."}},
      {"NoSuchLifecycleConfiguration", {404, "The lifecycle configuration does not exist"}},
      {"MalformedACLError",
       {400,
        "The XML you provided was not well-formed or did not validate against our published "
        "schema"}},
      {"UnresolvableGrantByEmailAddress",
       {400, "The e-mail address you provided does not match any account on record."}},
      {"AccessControlListNotSupported", {400, "The bucket does not allow ACLs"}},
      {"InvalidBucketAclWithObjectOwnership",
       {400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"}},
      {"MalformedPolicy", {400, "Policies must be valid JSON and the first byte must be '{'"}},
      {"NoSuchBucketPolicy", {404, "The bucket policy does not exist"}},
      {"NoSuchCORSConfiguration", {404, "The CORS configuration does not exist"}},
      {"NoSuchTagSet", {404, "The TagSet does not exist"}},
      {"NoSuchWebsiteConfiguration",
       {404, "The specified bucket does not have a website configuration"}},
      {"ServerSideEncryptionConfigurationNotFoundError",
       {404, "The server side encryption configuration was not found"}},
      {"ObjectLockConfigurationNotFoundError",
       {404, "Object Lock configuration does not exist for this bucket"}},
      {"NoSuchObjectLockConfiguration",
       {404, "The specified object does not have a ObjectLock configuration"}},
      {"InvalidBucketState",
       {409, "The request is not valid with the current state of the bucket."}},
      {"InvalidRetentionPeriod",
       {400, "Default retention period must be a positive integer value."}},
      {"OwnershipControlsNotFoundError", {404, "The bucket ownership controls were not found"}},
      {"NoSuchPublicAccessBlockConfiguration",
       {404, "The public access block configuration was not found"}},
      {"ReplicationConfigurationNotFoundError",
       {404, "The replication configuration was not found"}},
      {"NotImplemented",
       {501, "A header you provided implies functionality that is not implemented"}},
      {"NotModified", {304, "Not Modified"}},
      {"PreconditionFailed",
       {412, "At least one of the pre-conditions you specified did not hold"}},
      {"RequestHeaderSectionTooLarge",
       {400, "Your request header section exceeds the maximum allowed size."}},
      {"RequestTimeTooSkewed",
       {403, "The difference between the request time and the current time is too large."}},
      {"RequestTimeout",
       {400,
        "Your socket connection to the server was not read from or written to within the "
        "timeout period."}},
      {"SignatureDoesNotMatch",
       {403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."}},
      {"SlowDown", {503, "Please reduce your request rate."}},
      {"XAmzContentSHA256Mismatch",
       {400, "The provided 'x-amz-content-sha256' header does not match what was computed."}},
      {"InvalidObjectState",
       {403, "The operation is not valid for the current state of the object."}},
      {"ObjectConflict",
       {409, "The key conflicts with an existing object or directory of objects."}},
      {"MissingSecurityHeader", {400, "Your request was missing a required header"}},
      {"InvalidEncryptionAlgorithmError",
       {400, "The encryption request you specified is not valid."}},
      {"UnexpectedContent", {400, "This request does not support content"}},
  };
  return table;
}

// `text` with the bytes XML 1.0 cannot carry percent-encoded (and every
// non-ASCII byte when it is not valid UTF-8).
std::string XmlSafe(std::string_view text) {
  const bool utf8 = IsValidUtf8(text);
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && !utf8)) {
      AppendPercentEncoded(out, c);
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

int HttpStatusForError(std::string_view code) {
  auto it = ErrorTable().find(code);
  return it == ErrorTable().end() ? 500 : it->second.status;
}

std::string_view DefaultErrorMessage(std::string_view code) {
  auto it = ErrorTable().find(code);
  return it == ErrorTable().end() ? std::string_view("We encountered an internal error.")
                                  : it->second.message;
}

ErrorDetails ArgumentDetails(std::string_view name, std::string_view value) {
  return {{"ArgumentName", std::string(name)}, {"ArgumentValue", std::string(value)}};
}

std::string ErrorXml(std::string_view code, std::string_view message, std::string_view resource,
                     std::string_view request_id, const ErrorDetails& details) {
  XmlResponse doc("Error", false);
  AddText(doc.root(), "Code", code);
  AddText(doc.root(), "Message", XmlSafe(message));
  for (const auto& [name, value] : details) AddText(doc.root(), name.c_str(), XmlSafe(value));
  AddText(doc.root(), "Resource", XmlSafe(resource));
  AddText(doc.root(), "RequestId", request_id);
  return doc.str();
}

std::string_view S3CodeOfNeutral(StatusCode code) {
  switch (code) {
    case StatusCode::kNotFound:
      return s3err::kNoSuchKey;
    case StatusCode::kAlreadyExists:
      return s3err::kInvalidRequest;
    case StatusCode::kNotEmpty:
      return s3err::kBucketNotEmpty;
    case StatusCode::kFailedPrecondition:
      return s3err::kPreconditionFailed;
    case StatusCode::kAborted:
      return s3err::kConditionalRequestConflict;
    case StatusCode::kInvalidArgument:
      return s3err::kInvalidArgument;
    case StatusCode::kOutOfRange:
      return s3err::kInvalidRange;
    case StatusCode::kUnimplemented:
      return s3err::kNotImplemented;
    case StatusCode::kNoSpace:
      return s3err::kSlowDown;
    case StatusCode::kOk:
    case StatusCode::kInternal:
    case StatusCode::kIoError:
      break;
  }
  return s3err::kInternalError;
}

S3ErrorOfStatus S3ErrorFor(const Status& status) {
  if (status.err() == 0 && ErrorTable().contains(status.reason())) {
    return {status.reason(), status.message()};
  }
  const std::string_view code = S3CodeOfNeutral(status.code());
  return {code, DefaultErrorMessage(code)};
}

}  // namespace fsgate::gateway
