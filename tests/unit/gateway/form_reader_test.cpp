#include "gateway/form_reader.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace fsgate::gateway {
namespace {

// A source handing out `body` at most `step` bytes per read: parts and
// delimiters then straddle reads at every offset.
FormReader::Source Chunked(const std::string& body, size_t step) {
  auto pos = std::make_shared<size_t>(0);
  return [body, step, pos](std::span<char> buf) -> Result<size_t> {
    const size_t n = std::min({step, buf.size(), body.size() - *pos});
    std::copy_n(body.data() + *pos, n, buf.data());
    *pos += n;
    return n;
  };
}

struct Parsed {
  std::vector<std::pair<FormPart, std::string>> parts;
  std::string error;
};

Parsed ParseAll(const std::string& body, size_t step, std::string boundary = "XyZ") {
  FormReader form(std::move(boundary), Chunked(body, step));
  Parsed out;
  for (;;) {
    auto part = form.NextPart();
    if (!part.ok()) {
      out.error = part.status().reason();
      return out;
    }
    if (!*part) return out;
    std::string value;
    char buf[3];  // tiny reads: the look-ahead must never hand out a delimiter's bytes
    for (;;) {
      auto n = form.Read(buf);
      if (!n.ok()) {
        out.error = n.status().reason();
        return out;
      }
      if (*n == 0) break;
      value.append(buf, *n);
    }
    out.parts.emplace_back(std::move(**part), std::move(value));
  }
}

const std::string kBody =
    "preamble\r\n--XyZ\r\n"
    "Content-Disposition: form-data; name=\"key\"\r\n\r\n"
    "user/${filename}\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=\"x-amz-meta-note\"\r\n\r\n"
    "line1\r\n--XyZnot-a-delimiter\r\nline3\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"C:\\\\dir\\\\a \\\"b\\\".txt\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "\r\n\r\n--XyZ-file bytes\r\n-\r\n"
    "--XyZ--\r\nepilogue";

TEST(FormReader, PartsAtEveryReadSize) {
  for (size_t step : {1, 2, 3, 7, 64, 100000}) {
    const Parsed parsed = ParseAll(kBody, step);
    ASSERT_EQ(parsed.error, "") << step;
    ASSERT_EQ(parsed.parts.size(), 3u) << step;
    EXPECT_EQ(parsed.parts[0].first.name, "key");
    EXPECT_FALSE(parsed.parts[0].first.filename.has_value());
    EXPECT_EQ(parsed.parts[0].second, "user/${filename}");
    EXPECT_EQ(parsed.parts[1].second, "line1\r\n--XyZnot-a-delimiter\r\nline3");
    EXPECT_EQ(parsed.parts[2].first.name, "file");
    EXPECT_EQ(parsed.parts[2].first.filename, "C:\\dir\\a \"b\".txt");
    EXPECT_EQ(parsed.parts[2].first.content_type, "text/plain");
    EXPECT_EQ(parsed.parts[2].second, "\r\n\r\n--XyZ-file bytes\r\n-");
  }
}

TEST(FormReader, SkipsUnreadBodies) {
  FormReader form("XyZ", Chunked(kBody, 5));
  int parts = 0;
  for (;;) {
    auto part = form.NextPart();
    ASSERT_TRUE(part.ok());
    if (!*part) break;
    ++parts;
  }
  EXPECT_EQ(parts, 3);
}

TEST(FormReader, FieldLimit) {
  FormReader form("XyZ", Chunked(kBody, 4096));
  ASSERT_TRUE(form.NextPart().ok());
  auto value = form.ReadAll(4);
  ASSERT_FALSE(value.ok());
  EXPECT_TRUE(value.status().Is(FormReader::kTooLarge));
}

TEST(FormReader, Malformed) {
  const std::string cases[] = {
      "",                                                          // no delimiter at all
      "--XyZ\r\n\r\nbody\r\n--XyZ--",                              // no Content-Disposition
      "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\n",  // not form-data
      "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nunterminated",
      "--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--",  // no name
      "--XyZ\r\nno colon\r\n\r\nx\r\n--XyZ--",
      "--XyZ junk",
  };
  for (const auto& body : cases) {
    EXPECT_EQ(ParseAll(body, 3).error, FormReader::kMalformed) << body;
  }
}

TEST(FormReader, BoundaryOfContentType) {
  EXPECT_EQ(FormReader::BoundaryOf("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(FormReader::BoundaryOf("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b\""), "a b");
  EXPECT_EQ(FormReader::BoundaryOf("multipart/form-data"), std::nullopt);
  EXPECT_EQ(FormReader::BoundaryOf("multipart/form-data; boundary="), std::nullopt);
  EXPECT_EQ(FormReader::BoundaryOf("multipart/mixed; boundary=abc"), std::nullopt);
  EXPECT_EQ(FormReader::BoundaryOf("multipart/form-data; boundary=" + std::string(71, 'a')),
            std::nullopt);
}

}  // namespace
}  // namespace fsgate::gateway
