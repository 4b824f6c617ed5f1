#include "gateway/form_reader.h"

#include <algorithm>
#include <cctype>

namespace fsgate::gateway {
namespace {

// Read from the source this much at a time: the look-ahead a part body
// keeps is one chunk plus the delimiter.
constexpr size_t kChunk = 64 * 1024;
// A part's header block (Content-Disposition with a long file name, a
// Content-Type): browsers send a few hundred bytes.
constexpr size_t kMaxPartHeaders = 16 * 1024;
// RFC 2046: a boundary is 1 to 70 characters.
constexpr size_t kMaxBoundary = 70;

Status Malformed() {
  return Status::Error(StatusCode::kInvalidArgument, std::string(FormReader::kMalformed),
                       std::string(FormReader::kMalformed));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The parameter `name` of a header value "type; a=1; name=\"v\"", unquoted
// (a backslash escapes the next character); nullopt when absent.
std::optional<std::string> Parameter(std::string_view value, std::string_view name) {
  size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;
    const size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string key = Lower(Trim(value.substr(i, eq - i)));
    size_t j = eq + 1;
    while (j < value.size() && value[j] == ' ') ++j;
    std::string out;
    if (j < value.size() && value[j] == '"') {
      for (++j; j < value.size() && value[j] != '"'; ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        out.push_back(value[j]);
      }
      i = value.find(';', j);
    } else {
      const size_t end = value.find(';', j);
      out = std::string(Trim(value.substr(j, end - j)));
      i = end;
    }
    if (key == name) return out;
  }
  return std::nullopt;
}

}  // namespace

FormReader::FormReader(std::string boundary, Source source)
    : delimiter_("\r\n--" + boundary), source_(std::move(source)) {
  // The first delimiter may open the body without a CRLF before it: read as
  // if one were there.
  buf_ = "\r\n";
}

std::optional<std::string> FormReader::BoundaryOf(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  if (Lower(Trim(content_type.substr(0, semi))) != "multipart/form-data") return std::nullopt;
  auto boundary = Parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > kMaxBoundary) return std::nullopt;
  return boundary;
}

Status FormReader::Fill(size_t want) {
  if (pos_ > 0 && buf_.size() - pos_ < want) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  while (!eof_ && buf_.size() - pos_ < want) {
    const size_t old = buf_.size();
    buf_.resize(old + kChunk);
    auto n = source_(std::span<char>(buf_.data() + old, kChunk));
    if (!n.ok()) {
      buf_.resize(old);
      return n.status();
    }
    buf_.resize(old + *n);
    if (*n == 0) eof_ = true;
  }
  return Status::Ok();
}

Result<size_t> FormReader::Read(std::span<char> out) {
  if (!in_body_ || out.empty()) return size_t{0};
  // A delimiter is "\r\n--boundary" then "--" or CRLF: look that far ahead.
  const size_t look = delimiter_.size() + 2;
  if (Status s = Fill(look + std::min(out.size(), kChunk)); !s.ok()) return s;
  const std::string_view avail(buf_.data() + pos_, buf_.size() - pos_);
  size_t at = avail.find(delimiter_);
  // The boundary's text followed by anything else is data (RFC 2046 has
  // senders avoid it; a lenient reader keeps it).
  while (at != std::string_view::npos && at + look <= avail.size()) {
    const std::string_view after = avail.substr(at + delimiter_.size(), 2);
    if (after == "--" || after == "\r\n") break;
    at = avail.find(delimiter_, at + 1);
  }
  if (at == 0) {
    in_body_ = false;  // the delimiter stays for NextPart
    return size_t{0};
  }
  size_t n = avail.size();
  if (at != std::string_view::npos) {
    n = at;
  } else if (!eof_) {
    // Keep what could be the start of a delimiter and the two bytes after it.
    n = avail.size() >= look ? avail.size() - (look - 1) : 0;
  } else {
    return Malformed();  // the body ended inside a part
  }
  n = std::min(n, out.size());
  std::copy_n(avail.data(), n, out.data());
  pos_ += n;
  return n;
}

Result<std::string> FormReader::ReadAll(size_t limit) {
  std::string value;
  char chunk[4096];
  for (;;) {
    auto n = Read(chunk);
    if (!n.ok()) return n.status();
    if (*n == 0) return value;
    if (value.size() + *n > limit) {
      return Status::Error(StatusCode::kInvalidArgument, std::string(kTooLarge),
                           std::string(kTooLarge));
    }
    value.append(chunk, *n);
  }
}

Result<std::optional<FormPart>> FormReader::NextPart() {
  if (done_) return std::optional<FormPart>{};
  // Skip the rest of the current part (or the preamble before the first).
  for (in_body_ = true;;) {
    char skip[4096];
    auto n = Read(skip);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
  }
  // At the delimiter: then "--" (the end) or CRLF (a part).
  if (Status s = Fill(delimiter_.size() + 2); !s.ok()) return s;
  std::string_view avail(buf_.data() + pos_, buf_.size() - pos_);
  if (!avail.starts_with(delimiter_)) return Malformed();
  avail.remove_prefix(delimiter_.size());
  if (avail.starts_with("--")) {
    done_ = true;
    return std::optional<FormPart>{};
  }
  if (!avail.starts_with("\r\n")) return Malformed();
  pos_ += delimiter_.size() + 2;
  auto part = ReadHeaders();
  if (!part.ok()) return part.status();
  in_body_ = true;
  return std::optional<FormPart>(std::move(*part));
}

Result<FormPart> FormReader::ReadHeaders() {
  if (Status s = Fill(kMaxPartHeaders); !s.ok()) return s;
  const std::string_view avail(buf_.data() + pos_, buf_.size() - pos_);
  // An empty header block is the blank line alone.
  const size_t end = avail.starts_with("\r\n") ? 0 : avail.find("\r\n\r\n");
  if (end == std::string_view::npos || end > kMaxPartHeaders) return Malformed();
  std::string_view block = avail.substr(0, end);
  pos_ += end == 0 ? 2 : end + 4;
  FormPart part;
  bool disposition = false;
  while (!block.empty()) {
    const size_t eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Malformed();
    const std::string name = Lower(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (Lower(Trim(value.substr(0, value.find(';')))) != "form-data") return Malformed();
      auto field = Parameter(value, "name");
      if (!field) return Malformed();
      part.name = std::move(*field);
      part.filename = Parameter(value, "filename");
      disposition = true;
    } else if (name == "content-type") {
      part.content_type = std::string(value);
    }
  }
  if (!disposition) return Malformed();
  return part;
}

}  // namespace fsgate::gateway
