#include "base/after_answer.h"

#include <array>
#include <cstddef>
#include <utility>

namespace fsgate {
namespace {

struct Deferred {
  bool answering = false;
  // A request hands over one op, or a few (a multi-object delete wakes once
  // per idle name: the same wake, kept once). Beyond this, work runs at once.
  std::array<std::pair<void (*)(void*), void*>, 4> work;
  size_t count = 0;
};

thread_local Deferred deferred;

}  // namespace

AnswerScope::AnswerScope() { deferred.answering = true; }

AnswerScope::~AnswerScope() {
  deferred.answering = false;
  // Taken first: the work may itself answer nothing and put nothing off.
  const size_t count = std::exchange(deferred.count, 0);
  for (size_t i = 0; i < count; ++i) deferred.work[i].first(deferred.work[i].second);
}

void AfterAnswer(void (*fn)(void*), void* arg) {
  if (deferred.answering) {
    for (size_t i = 0; i < deferred.count; ++i) {
      if (deferred.work[i] == std::make_pair(fn, arg)) return;
    }
    if (deferred.count < deferred.work.size()) {
      deferred.work[deferred.count++] = {fn, arg};
      return;
    }
  }
  fn(arg);
}

}  // namespace fsgate
