// FormReader: a multipart/form-data body (RFC 7578) read as a stream of parts,
// for POST object (a browser's form upload). A part's headers are read whole
// (they are small and bounded); its body is read in pieces, so that the file
// part streams into the object's staging file and is never held in memory:
// the reader keeps one chunk plus a delimiter's length of look-ahead.
//
// Pure over a byte source (no HTTP, no S3), so it is fuzzed on its own.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fsgate::gateway {

// A part's Content-Disposition name and filename, and its Content-Type.
struct FormPart {
  std::string name;
  std::optional<std::string> filename;  // present for a file input
  std::string content_type;
};

class FormReader {
 public:
  // Reads up to buf.size() bytes of the body; 0 at its end.
  using Source = std::function<Result<size_t>(std::span<char>)>;

  // `boundary` from the Content-Type's boundary parameter.
  FormReader(std::string boundary, Source source);

  // The next part, positioned at the start of its body (the rest of the
  // current part is skipped); nullopt after the closing delimiter. A body
  // that is not multipart/form-data fails with kMalformed.
  Result<std::optional<FormPart>> NextPart();

  // Reads the current part's body; 0 at its end.
  Result<size_t> Read(std::span<char> buf);

  // The rest of the current part's body, failing with kTooLarge past `limit` bytes.
  Result<std::string> ReadAll(size_t limit);

  // The boundary parameter of a multipart/form-data Content-Type; nullopt when
  // it is another type or names none.
  static std::optional<std::string> BoundaryOf(std::string_view content_type);

  // Errors, as reasons of the Status (the handler maps them to S3's codes).
  static constexpr std::string_view kMalformed = "malformed multipart/form-data";
  static constexpr std::string_view kTooLarge = "form field too large";

 private:
  // Ensures `want` bytes are buffered (fewer at the end of the source).
  [[nodiscard]] Status Fill(size_t want);
  // The part headers up to the blank line.
  Result<FormPart> ReadHeaders();

  std::string delimiter_;  // "\r\n--" + boundary
  Source source_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  bool in_body_ = false;  // inside a part's body
  bool done_ = false;     // after the closing delimiter
};

}  // namespace fsgate::gateway
