// Writes the seeds no one can write by hand: requests signed with the example
// user of fuzz_common.h (header auth and presigned), aws-chunked bodies whose
// chunk and trailer signatures chain from their request's signature, and
// journal segments from the real encoder. Run it after a change to the
// signing or journal format:  fuzz_seed_writer tests/fuzz/corpus
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/sigv4.h"
#include "auth/sigv4_canonical.h"
#include "base/hash.h"
#include "dirops/intent_codec.h"
#include "fuzz_common.h"
#include "store/meta_record.h"

namespace {

using namespace fsgate;
namespace sigv4 = auth::sigv4;
using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

std::filesystem::path corpus;

void Write(const std::string& target, const std::string& name, std::string_view bytes) {
  const auto dir = corpus / target;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

std::string Sha256Hex(std::string_view data) {
  return HexEncode(Digest(HashAlgorithm::kSha256, data));
}

const auth::Credentials kUser{
    .user = "example", .access_key = fuzz::kAccessKey, .secret_key = fuzz::kSecretKey};
const std::string kScope = "20130524/us-east-1/s3/aws4_request";
const std::string kSigningKey = sigv4::SigningKey(fuzz::kSecretKey, "20130524", "us-east-1", "s3");

struct Request {
  std::string method;
  std::string target;
  HeaderPairs headers;
  std::string body;

  std::string Signature() const {
    const std::string& auth = headers.back().second;
    return auth.substr(auth.rfind('=') + 1);
  }
  // "METHOD\nTARGET\nname: value\n...", the sigv4 target's input.
  std::string Lines() const {
    std::string out = method + "\n" + target + "\n";
    for (const auto& [name, value] : headers) out += name + ": " + value + "\n";
    return out;
  }
  std::string Http() const {
    std::string out = method + " " + target + " HTTP/1.1\r\n";
    for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
    return out + "\r\n" + body;
  }
};

Request Signed(std::string method, std::string target, HeaderPairs headers, std::string body,
               std::string payload_hash = {}) {
  if (payload_hash.empty()) payload_hash = Sha256Hex(body);
  headers.insert(headers.begin(), {"Host", "127.0.0.1:9000"});
  auth::SignRequest(method, target, headers, payload_hash, kUser, "us-east-1", fuzz::ExampleTime());
  return {std::move(method), std::move(target), std::move(headers), std::move(body)};
}

Request Presigned(std::string method, const std::string& path) {
  const std::string query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + std::string(fuzz::kAccessKey) +
      "%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=" + fuzz::kAmzDate +
      "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host";
  const sigv4::HeaderList headers = {{"host", "127.0.0.1:9000"}};
  const std::string target = path + "?" + query;
  const std::string canonical =
      sigv4::CanonicalRequest({.method = method,
                               .target = target,
                               .headers = &headers,
                               .signed_headers = "host",
                               .payload_hash = sigv4::kUnsignedPayload,
                               .exclude_query_parameter = "X-Amz-Signature"});
  const std::string signature =
      sigv4::Signature(kSigningKey, sigv4::StringToSign(fuzz::kAmzDate, kScope, canonical));
  return {std::move(method),
          target + "&X-Amz-Signature=" + signature,
          {{"Host", "127.0.0.1:9000"}},
          {}};
}

// An aws-chunked body as the SDKs frame it, each signature chained from the last.
class ChunkedBody {
 public:
  explicit ChunkedBody(std::string seed_signature) : previous_(std::move(seed_signature)) {}

  ChunkedBody& Chunk(std::string_view data, bool sign) {
    std::ostringstream size;
    size << std::hex << data.size();
    body_ += size.str();
    if (sign) {
      body_ += ";chunk-signature=" +
               Sign("AWS4-HMAC-SHA256-PAYLOAD", Sha256Hex("") + "\n" + Sha256Hex(data));
    }
    body_ += "\r\n";
    if (!data.empty()) body_ += std::string(data) + "\r\n";
    return *this;
  }
  // Ends a body without trailers.
  std::string End() { return body_ + "\r\n"; }
  std::string EndWithTrailer(const std::string& trailer, bool sign) {
    std::string out = body_ + trailer + "\r\n";
    if (sign) {
      out +=
          "x-amz-trailer-signature:" + Sign("AWS4-HMAC-SHA256-TRAILER", Sha256Hex(trailer + "\n")) +
          "\r\n";
    }
    return out + "\r\n";
  }

 private:
  std::string Sign(std::string_view kind, const std::string& hashes) {
    previous_ = sigv4::Signature(kSigningKey, std::string(kind) + "\n" + fuzz::kAmzDate + "\n" +
                                                  kScope + "\n" + previous_ + "\n" + hashes);
    return previous_;
  }
  std::string previous_;
  std::string body_;
};

std::string Crc32Base64(std::string_view data) {
  return Base64Encode(Digest(HashAlgorithm::kCrc32, data));
}

void WriteRequests() {
  const std::string delete_xml =
      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>a.txt</Key>"
      "</Object><Object><Key>dir/b.txt</Key></Object><Quiet>false</Quiet></Delete>";
  std::vector<std::pair<std::string, Request>> requests = {
      {"get_object", Signed("GET", "/photos/2024/jan/a.jpg", {}, "")},
      {"head_object_range", Signed("HEAD", "/photos/a%20b.jpg", {{"Range", "bytes=0-99"}}, "")},
      {"list_v2", Signed("GET", "/photos?list-type=2&prefix=2024%2F&delimiter=%2F", {}, "")},
      {"list_buckets", Signed("GET", "/", {}, "")},
      {"put_object", Signed("PUT", "/photos/notes.txt",
                            {{"Content-Type", "text/plain"},
                             {"Content-Length", "11"},
                             {"x-amz-meta-owner", "alice"},
                             {"x-amz-checksum-crc32", Crc32Base64("hello world")}},
                            "hello world")},
      {"create_bucket", Signed("PUT", "/photos", {{"Content-Length", "0"}}, "")},
      {"delete_objects",
       Signed("POST", "/photos?delete=",
              {{"Content-Type", "application/xml"},
               {"Content-Length", std::to_string(delete_xml.size())},
               {"Content-MD5", Base64Encode(Digest(HashAlgorithm::kMd5, delete_xml))}},
              delete_xml)},
      {"upload_part_unsigned",
       Signed("PUT", "/photos/big.bin?partNumber=2&uploadId=abc123", {{"Content-Length", "4"}},
              "data", std::string(sigv4::kUnsignedPayload))},
      {"copy_object",
       Signed("PUT", "/photos/copy.jpg", {{"x-amz-copy-source", "/photos/a.jpg"}}, "")},
      {"presigned_get", Presigned("GET", "/photos/a.jpg")},
      {"presigned_put", Presigned("PUT", "/photos/upload.bin")},
  };

  // Streaming uploads: the body's chunks chain from the request's own signature.
  const std::string payload = "hello streaming world";
  {
    Request r = Signed("PUT", "/photos/stream.txt",
                       {{"Content-Encoding", "aws-chunked"},
                        {"x-amz-decoded-content-length", std::to_string(payload.size())}},
                       "", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    r.body = ChunkedBody(r.Signature())
                 .Chunk(payload.substr(0, 8), true)
                 .Chunk(payload.substr(8), true)
                 .Chunk("", true)
                 .End();
    r.headers.insert(r.headers.end() - 1, {"Content-Length", std::to_string(r.body.size())});
    requests.emplace_back("put_streaming_signed", r);
  }
  {
    Request r = Signed("PUT", "/photos/trailer.txt",
                       {{"Content-Encoding", "aws-chunked"},
                        {"Transfer-Encoding", "chunked"},
                        {"x-amz-trailer", "x-amz-checksum-crc32"},
                        {"x-amz-decoded-content-length", std::to_string(payload.size())}},
                       "", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    const std::string aws_chunked =
        ChunkedBody(r.Signature())
            .Chunk(payload, false)
            .Chunk("", false)
            .EndWithTrailer("x-amz-checksum-crc32:" + Crc32Base64(payload), false);
    std::ostringstream http_chunked;  // the HTTP framing around it
    http_chunked << std::hex << aws_chunked.size() << "\r\n" << aws_chunked << "\r\n0\r\n\r\n";
    r.body = http_chunked.str();
    requests.emplace_back("put_unsigned_trailer_http_chunked", r);
  }

  std::string pipelined;
  for (const auto& [name, request] : requests) {
    Write("http_request", name, request.Http());
    Write("sigv4", name, request.Lines());
    if (name == "get_object" || name == "put_object") pipelined += request.Http();
  }
  Write("http_request", "pipelined", pipelined);
  Write("http_request", "virtual_hosted",
        "GET /a.jpg HTTP/1.1\r\nHost: photos.s3.example.com\r\n\r\n");
  Write("http_request", "anonymous_get", "GET /photos/a.jpg HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

void WriteChunkedBodies() {
  // The seed signature of the AWS documentation's streaming example (aws_chunked_fuzz.cpp).
  const std::string seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  const std::string data = std::string(300, 'a') + "tail";
  const std::string crc = "x-amz-checksum-crc32:" + Crc32Base64(data);
  // Mode byte (0 signed, 1 unsigned trailer, 2 signed trailer), split-seed byte, body.
  auto write = [](const std::string& name, char mode, char split, const std::string& body) {
    Write("aws_chunked", name, std::string{mode, split} + body);
  };
  write(
      "signed", 0, 7,
      ChunkedBody(seed).Chunk(data.substr(0, 300), true).Chunk("tail", true).Chunk("", true).End());
  write("signed_whole", 0, 0, ChunkedBody(seed).Chunk(data, true).Chunk("", true).End());
  write("unsigned_trailer", 1, 3,
        ChunkedBody(seed).Chunk(data, false).Chunk("", false).EndWithTrailer(crc, false));
  write("unsigned_trailer_empty", 1, 1,
        ChunkedBody(seed).Chunk("", false).EndWithTrailer("x-amz-checksum-crc32c:AAAAAA==", false));
  write("signed_trailer", 2, 5,
        ChunkedBody(seed).Chunk(data, true).Chunk("", true).EndWithTrailer(crc, true));
}

void WriteJournal() {
  dirops::Intent create;
  create.op = dirops::IntentOp::kCreate;
  create.seq = 1;
  create.top = "photos";
  create.name = "2024/jan/a.jpg";
  create.staging = {.path = ".fsgate/gw/g1/staging/0/17", .ino = 4242, .delegated = true};
  store::ObjectMeta meta;
  meta.etag = "5d41402abc4b2a76b9719d911017c592";
  meta.content_type = "image/jpeg";
  meta.system_headers = {{"Cache-Control", "max-age=60"}};
  meta.user_meta = {{"owner", "alice"}};
  meta.checksums = {{"CRC32", "NhCmhg=="}};
  create.attrs = store::EncodeMetaRecord(meta, false);
  create.mtime_ns = 1700000000123456789;
  create.inline_data = std::make_shared<const std::string>("hello");

  dirops::Intent unlink;
  unlink.op = dirops::IntentOp::kUnlink;
  unlink.seq = 2;
  unlink.top = "photos";
  unlink.name = "old.txt";
  unlink.target_ino = 4100;

  dirops::Intent checkpoint;
  checkpoint.op = dirops::IntentOp::kCheckpoint;
  checkpoint.seq = 3;

  const uint32_t seed = dirops::RecordSeed(1);
  auto records = [&](std::initializer_list<const dirops::Intent*> intents) {
    std::string out;
    for (const auto* intent : intents) dirops::AppendIntentRecord(*intent, &out);
    dirops::SealRecords(&out, seed);
    return out;
  };
  Write("intent_codec", "create_inline", records({&create}));
  Write("intent_codec", "unlink", records({&unlink}));
  const std::string all = records({&create, &unlink, &checkpoint});
  Write("intent_codec", "segment", dirops::EncodeSegmentHeader(1) + all);
  // A torn tail: recovery stops at the last whole record.
  Write("intent_codec", "segment_torn",
        dirops::EncodeSegmentHeader(1) + all.substr(0, all.size() - 5));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seed_writer CORPUS_DIR\n";
    return 2;
  }
  corpus = argv[1];
  WriteRequests();
  WriteChunkedBodies();
  WriteJournal();
  return 0;
}
