// Test helper: the samples of a Prometheus text exposition, by series.
#pragma once

#include <map>
#include <sstream>
#include <string>

namespace fsgate::metrics::testing {

// `fsgate_x{a="b"} 3` -> samples["fsgate_x{a=\"b\"}"] == 3. Comment lines are skipped.
inline std::map<std::string, double> ParseSamples(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

}  // namespace fsgate::metrics::testing
