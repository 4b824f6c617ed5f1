// Prints phase results: a human-readable summary, or one JSON document that
// run_bench.py consumes.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/bench/load_runner.h"

namespace fsgate::bench {

// With --idle-connections: what the idle connections held through the phases.
struct IdleSummary {
  uint64_t wanted = 0;
  uint64_t held = 0;          // answered and open once all were opened
  uint64_t held_at_end = 0;   // still open after the last phase
  double open_seconds = 0;    // opening them all, one after another
  std::string first_failure;  // why the first one not held was not ("" when all were)
};

struct RunInfo {
  std::string endpoint;
  std::string bucket;
  std::string command_line;
  std::optional<IdleSummary> idle;
};

// Both compute percentiles, so they sort the samples in `phases`.
void PrintText(std::ostream& out, const RunInfo& info, std::vector<PhaseResult>& phases);
void PrintJson(std::ostream& out, const RunInfo& info, std::vector<PhaseResult>& phases);

}  // namespace fsgate::bench
