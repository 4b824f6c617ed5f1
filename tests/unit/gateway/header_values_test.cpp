// Client-supplied values that become response headers (or error XML): no
// control character gets through to split a response or break the XML.
#include <gtest/gtest.h>

#include "gateway/object_headers.h"
#include "gateway/s3_error.h"
#include "http/http_message.h"

namespace fsgate::gateway {
namespace {

TEST(HeaderValueTest, StoredHeadersWithControlCharactersAreInvalidArgument) {
  for (const char* name : {"x-amz-meta-note", "content-type", "content-disposition",
                           "cache-control", "content-language", "expires", "content-encoding"}) {
    http::HttpRequest request;
    request.headers = {{"content-length", "1"}, {name, "ok\r\nX-Evil: 1"}};
    store::ObjectMeta meta;
    Status s = MetaFromRequest(request, meta);
    EXPECT_TRUE(s.Is(s3err::kInvalidArgument)) << name;
  }
  // http::Headers that are not stored are not this check's business.
  http::HttpRequest request;
  request.headers = {{"x-other", "a\x01"}, {"x-amz-meta-ok", "fine"}};
  store::ObjectMeta meta;
  EXPECT_TRUE(MetaFromRequest(request, meta).ok());
}

TEST(HeaderValueTest, ErrorXmlNamesTheArgumentWithControlCharactersEscaped) {
  std::string xml = ErrorXml("InvalidArgument", "bad", "/b/k", "REQ1",
                             ArgumentDetails("response-content-type", "a\r\nb\x01\tc"));
  EXPECT_NE(xml.find("<ArgumentName>response-content-type</ArgumentName>"), std::string::npos);
  EXPECT_NE(xml.find("<ArgumentValue>a%0D%0Ab%01\tc</ArgumentValue>"), std::string::npos) << xml;
  // Invalid UTF-8 would make the document unparsable: its bytes are escaped too.
  xml = ErrorXml("InvalidArgument", "bad", "/b", "REQ1", ArgumentDetails("partNumber", "\xff\xfe"));
  EXPECT_NE(xml.find("<ArgumentValue>%FF%FE</ArgumentValue>"), std::string::npos) << xml;
  // No argument, no elements.
  EXPECT_EQ(ErrorXml("NoSuchKey", "m", "/b/k", "R").find("Argument"), std::string::npos);
}

}  // namespace
}  // namespace fsgate::gateway
