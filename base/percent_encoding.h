// One byte written as "%XX" (upper-case hex): how URIs (RFC 3986 §2.1), SigV4's
// canonical forms, error XML and the access log all escape a byte they may
// not carry as it is.
#pragma once

#include <string>

namespace fsgate {

inline void AppendPercentEncoded(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('%');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 15]);
}

}  // namespace fsgate
