// POST object: a browser's form upload to a bucket (multipart/form-data).
// The fields before the file are read (at most 20 KB, as S3), the form's
// signature and policy checked (auth/post_policy.h) or, unsigned, the caller
// taken as anonymous; then the caller is authorized for s3:PutObject on the
// key and the file part streams through the same staging/async path as a PUT
// (store BeginPut), never held in memory. Fields after the file are ignored,
// as S3 ignores them.
#include <algorithm>
#include <cctype>
#include <chrono>

#include "auth/credentials.h"
#include "auth/post_policy.h"
#include "gateway/authorize.h"
#include "gateway/bucket_access.h"
#include "gateway/form_reader.h"
#include "gateway/object_headers.h"
#include "gateway/object_tags.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_handlers.h"
#include "gateway/xml_bodies.h"
#include "http/url.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {
namespace {

// S3's limit on the form fields before the file.
constexpr size_t kMaxPreFileFields = 20 * 1024;
constexpr size_t kIoChunk = 256 * 1024;

// Field names whose value becomes object metadata, as the same headers of a PUT.
bool IsMetadataField(std::string_view name) {
  return name == "content-type" || name == "cache-control" || name == "content-disposition" ||
         name == "content-encoding" || name == "content-language" || name == "expires" ||
         name.starts_with("x-amz-meta-");
}

bool SignedForm(const auth::FormFields& fields) {
  for (const char* name :
       {"policy", "x-amz-signature", "x-amz-credential", "awsaccesskeyid", "signature"}) {
    if (auth::FormField(fields, name) != nullptr) return true;
  }
  return false;
}

void FormError(S3Context& ctx, const Status& s) {
  if (s.Is(FormReader::kTooLarge)) return ctx.Error("MaxPostPreDataLengthExceededError");
  if (s.Is(FormReader::kMalformed)) return ctx.Error("MalformedPOSTRequest");
  ctx.Error(s);
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The form's fields up to its file part; false after answering.
bool ReadFields(S3Context& ctx, FormReader& form, auth::FormFields& fields, FormPart& file) {
  size_t total = 0;
  for (;;) {
    auto part = form.NextPart();
    if (!part.ok()) {
      FormError(ctx, part.status());
      return false;
    }
    if (!*part) break;
    std::string name = Lower((*part)->name);
    if (name == "file") {
      file = std::move(**part);
      return true;
    }
    auto value = form.ReadAll(kMaxPreFileFields - std::min(total, kMaxPreFileFields));
    if (!value.ok()) {
      FormError(ctx, value.status());
      return false;
    }
    total += name.size() + value->size();
    fields.emplace_back(std::move(name), std::move(*value));
  }
  ctx.Error("InvalidArgument", "POST requires exactly one file upload per request.",
            ArgumentDetails("file", "0"));
  return false;
}

// ${filename} in the key field, each time: the name the browser gives the
// file, without its directory.
std::string SubstituteFilename(std::string key, const FormPart& file) {
  constexpr std::string_view kVariable = "${filename}";
  std::string name = file.filename.value_or("");
  if (const size_t slash = name.find_last_of("/\\"); slash != std::string::npos) {
    name.erase(0, slash + 1);
  }
  for (size_t at = key.find(kVariable); at != std::string::npos;
       at = key.find(kVariable, at + name.size())) {
    key.replace(at, kVariable.size(), name);
  }
  return key;
}

void SetField(auth::FormFields& fields, std::string_view name, std::string value) {
  for (auto& field : fields) {
    if (field.first == name) field.second = std::move(value);
  }
}

// Who signed the form, and does its policy allow these fields; false after answering.
bool CheckSignedForm(S3Context& ctx, const auth::FormFields& fields,
                     std::optional<std::pair<int64_t, int64_t>>& length_range) {
  const auth::AuthResult who = auth::AuthenticatePostForm(fields, *ctx.users, ctx.region);
  if (!who.ok) {
    ctx.Error(who.error_code, who.error_message, who.error_details);
    return false;
  }
  ctx.user = who.credentials;
  auto policy = auth::ParsePostPolicy(*auth::FormField(fields, "policy"));
  if (!policy.ok()) {
    ctx.Error(policy.status().reason(), policy.status().message());
    return false;
  }
  const std::string failed =
      auth::CheckPostPolicy(*policy, fields, ctx.bucket, std::chrono::system_clock::now());
  if (!failed.empty()) {
    ctx.Error("AccessDenied", failed);
    return false;
  }
  length_range = policy->length_range;
  return true;
}

// Content-Type, x-amz-meta-*, … and tagging from the fields.
Status MetaFromFields(const auth::FormFields& fields, store::ObjectMeta& meta) {
  http::HttpRequest as_headers;
  for (const auto& [name, value] : fields) {
    if (IsMetadataField(name)) as_headers.headers.emplace_back(name, value);
  }
  if (Status s = MetaFromRequest(as_headers, meta); !s.ok()) return s;
  if (const std::string* tagging = auth::FormField(fields, "tagging")) {
    auto tags = ParseTagging(*tagging);
    if (!tags)
      return S3Error(s3err::kMalformedXML, std::string(DefaultErrorMessage("MalformedXML")));
    if (Status s = ValidateTags(*tags, kMaxObjectTags); !s.ok()) return s;
    meta.tags = std::move(*tags);
  }
  return Status::Ok();
}

// The form's acl and tagging fields as a PUT's x-amz-acl and x-amz-tagging
// headers, which NewObjectAcl and the policy's s3:x-amz-acl and
// s3:RequestObjectTag/<key> read; S3 takes a POST's from its form only.
// False after answering.
bool FieldsAsHeaders(S3Context& ctx, const auth::FormFields& fields) {
  auto& headers = ctx.request.headers;
  std::erase_if(headers,
                [](const auto& h) { return h.first == "x-amz-acl" || h.first == "x-amz-tagging"; });
  // A malformed Tagging document is refused with the rest of the metadata.
  if (const std::string* tagging = auth::FormField(fields, "tagging")) {
    if (auto tags = ParseTagging(*tagging)) {
      std::string query;
      for (const auto& [name, value] : *tags) {
        if (!query.empty()) query += '&';
        query += http::UriEncode(name, true) + "=" + http::UriEncode(value, true);
      }
      headers.emplace_back("x-amz-tagging", std::move(query));
    }
  }
  if (const std::string* acl = auth::FormField(fields, "acl")) {
    if (!http::IsValidHeaderValue(*acl)) {
      ctx.Error("InvalidArgument", {}, ArgumentDetails("x-amz-acl", *acl));
      return false;
    }
    headers.emplace_back("x-amz-acl", *acl);
  }
  return true;
}

// x-amz-checksum-<algorithm> fields: the file's checksum to verify.
struct FileChecksum {
  std::string name;  // upper case
  std::string expected;
  std::optional<Hasher> hasher;
};
Result<std::optional<FileChecksum>> ChecksumOf(const auth::FormFields& fields) {
  for (const auto& [name, value] : fields) {
    if (!name.starts_with("x-amz-checksum-") || name == "x-amz-checksum-algorithm") continue;
    auto algorithm = ChecksumAlgorithmFromName(name.substr(15));
    if (!algorithm || *algorithm == HashAlgorithm::kMd5) {
      return S3Error("InvalidRequest", "Invalid checksum field: " + name);
    }
    return std::optional<FileChecksum>(
        FileChecksum{std::string(ChecksumAlgorithmName(*algorithm)), value, Hasher(*algorithm)});
  }
  return std::optional<FileChecksum>{};
}

// Streams the file part into `writer` within `max` bytes; EntityTooLarge past it.
Result<uint64_t> StreamFile(FormReader& form, store::ObjectWriter& writer, uint64_t max,
                            std::optional<FileChecksum>& checksum) {
  std::vector<char> buf(kIoChunk);
  uint64_t size = 0;
  for (;;) {
    auto n = form.Read(buf);
    if (!n.ok()) return n.status();
    if (*n == 0) return size;
    size += *n;
    if (size > max) return S3Error(s3err::kEntityTooLarge, "");
    const std::span<const char> data(buf.data(), *n);
    if (checksum) checksum->hasher->Update(std::string_view(data.data(), data.size()));
    if (Status s = writer.Write(data); !s.ok()) return s;
  }
}

// An absolute URL a browser can follow: scheme://host..., within what a
// header may carry. S3 ignores a success_action_redirect it cannot interpret
// and answers as success_action_status says.
bool IsRedirectUrl(std::string_view url) {
  const size_t colon = url.find("://");
  if (colon == 0 || colon == std::string_view::npos || !http::IsValidHeaderValue(url)) return false;
  const std::string_view scheme = url.substr(0, colon);
  const std::string_view rest = url.substr(colon + 3);
  const auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  return alpha(scheme[0]) &&
         std::all_of(scheme.begin(), scheme.end(),
                     [&](char c) {
                       return alpha(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '+' ||
                              c == '-' || c == '.';
                     }) &&
         !rest.empty() && rest[0] != '/' && url.find_first_of(" \t") == std::string_view::npos;
}

void Answer(S3Context& ctx, const auth::FormFields& fields, const std::string& key,
            const store::ObjectMeta& written) {
  const std::string& etag = written.etag;
  http::Headers headers = {{"ETag", QuotedEtag(etag)}};
  AppendWrittenVersionHeader(written, headers);
  // The object's URL, path-style on the endpoint the form was posted to.
  const std::string* host = ctx.request.Header("host");
  const std::string location = std::string(ctx.secure_transport ? "https://" : "http://") +
                               (host != nullptr && http::IsValidHeaderValue(*host) ? *host : "") +
                               "/" + ctx.bucket + "/" + http::UriEncode(key, false);
  const std::string* redirect = auth::FormField(fields, "success_action_redirect");
  if (redirect == nullptr) redirect = auth::FormField(fields, "redirect");
  if (redirect != nullptr && IsRedirectUrl(*redirect)) {
    const char separator = redirect->find('?') == std::string::npos ? '?' : '&';
    headers.emplace_back("Location", *redirect + separator +
                                         "bucket=" + http::UriEncode(ctx.bucket, true) +
                                         "&key=" + http::UriEncode(key, true) +
                                         "&etag=" + http::UriEncode(QuotedEtag(etag), true));
    return ctx.SendEmpty(303, std::move(headers));
  }
  const std::string* status = auth::FormField(fields, "success_action_status");
  headers.emplace_back("Location", location);
  if (status != nullptr && *status == "201") {
    XmlResponse xml("PostResponse", false);
    AddText(xml.root(), "Location", location);
    AddText(xml.root(), "Bucket", ctx.bucket);
    AddText(xml.root(), "Key", key);
    AddText(xml.root(), "ETag", QuotedEtag(etag));
    return ctx.SendXml(201, xml, std::move(headers));
  }
  ctx.SendEmpty(status != nullptr && *status == "200" ? 200 : 204, std::move(headers));
}

}  // namespace

void PostObject(S3Context& ctx) {
  const std::string* content_type = ctx.request.Header("content-type");
  auto boundary = FormReader::BoundaryOf(content_type != nullptr ? *content_type : "");
  if (!boundary) return ctx.Error("MalformedPOSTRequest");
  FormReader form(*boundary, [&ctx](std::span<char> buf) { return ctx.payload.Read(buf); });
  auth::FormFields fields;
  FormPart file;
  if (!ReadFields(ctx, form, fields, file)) return;
  const std::string* key_field = auth::FormField(fields, "key");
  if (key_field == nullptr) {
    return ctx.Error("InvalidArgument",
                     "Bucket POST must contain a field named 'key'.  If it is specified, please "
                     "check the order of the fields.",
                     ArgumentDetails("key", ""));
  }
  // The key the policy's conditions judge is the one the object gets.
  const std::string key = SubstituteFilename(*key_field, file);
  SetField(fields, "key", key);
  std::optional<std::pair<int64_t, int64_t>> length_range;
  if (SignedForm(fields) && !CheckSignedForm(ctx, fields, length_range)) return;
  if (!FieldsAsHeaders(ctx, fields)) return;
  if (!AuthorizeFormUpload(ctx, key)) return;

  store::PutRequest put;
  put.bucket = ctx.bucket;
  put.key = key;
  if (Status s = MetaFromFields(fields, put.meta); !s.ok()) return ctx.Error(s);
  if (!NewObjectAcl(ctx, put.meta.acl)) return;
  DefaultObjectLock(ctx, put.meta.lock);
  auto checksum = ChecksumOf(fields);
  if (!checksum.ok()) return ctx.Error(checksum.status());
  put.sync_dirops = ctx.SyncDiropsRequested();
  store::ObjectMeta meta = put.meta;
  auto writer = ctx.store.BeginPut(std::move(put));
  if (!writer.ok()) return ctx.Error(writer.status());
  const uint64_t limit = ctx.payload.max_object_size();
  const uint64_t max = length_range ? std::min<uint64_t>(length_range->second, limit) : limit;
  auto size = StreamFile(form, **writer, max, *checksum);
  if (!size.ok()) {
    if (!size.status().Is(s3err::kEntityTooLarge)) return FormError(ctx, size.status());
    return ctx.Error(
        "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
        {{"ProposedSize",
          std::to_string(ctx.payload.declared_length().value_or(ctx.payload.bytes_read()))},
         {"MaxSizeAllowed", std::to_string(max)}});
  }
  if (length_range && *size < static_cast<uint64_t>(length_range->first)) {
    return ctx.Error("EntityTooSmall",
                     "Your proposed upload is smaller than the minimum allowed size",
                     {{"ProposedSize", std::to_string(*size)},
                      {"MinSizeAllowed", std::to_string(length_range->first)}});
  }
  if (*checksum) {
    const std::string got = Base64Encode((*checksum)->hasher->Finish());
    if (got != (*checksum)->expected) {
      return ctx.Error("BadDigest", "The " + (*checksum)->name +
                                        " you specified did not match the calculated checksum.");
    }
    meta.checksums.emplace_back((*checksum)->name, got);
  }
  // The rest of the form (fields after the file) is read and ignored.
  for (;;) {
    auto part = form.NextPart();
    if (!part.ok()) return FormError(ctx, part.status());
    if (!*part) break;
  }
  auto committed = (*writer)->Commit(std::move(meta));
  if (!committed.ok()) return ctx.Error(committed.status());
  Answer(ctx, fields, key, *committed);
}

}  // namespace fsgate::gateway
