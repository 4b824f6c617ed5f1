// Prints phase results: a human-readable summary, or one JSON document that
// run_bench.py consumes.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "tests/bench/load_runner.h"

namespace fsgate::bench {

struct RunInfo {
  std::string endpoint;
  std::string bucket;
  std::string command_line;
};

// Both compute percentiles, so they sort the samples in `phases`.
void PrintText(std::ostream& out, const RunInfo& info, std::vector<PhaseResult>& phases);
void PrintJson(std::ostream& out, const RunInfo& info, std::vector<PhaseResult>& phases);

}  // namespace fsgate::bench
