// Work a request thread puts off until its answer is out.
//
// An async PUT or DELETE hands its op to the applier after the journal sync
// and before the answer; waking an applier worker there put a futex call, and
// an interrupt to the idle CPU the worker slept on, between the sync and the
// answer: 3 us at the median (perf trace of the request thread at one
// connection; 2.9 us for a notify of a sleeping waiter alone). Put off, the
// wake is done while the client reads the answer, and the worker still
// starts the apply within microseconds of it.
//
// Only wakes that nobody on this thread waits for may be put off: a thread
// that will block on the work it hands over must wake its doer at once.
#pragma once

namespace fsgate {

// Marks the calling thread as answering a request while it lives; what is put
// off meanwhile runs when it ends, in the order it was put off. Not nested.
class AnswerScope {
 public:
  AnswerScope();
  ~AnswerScope();
  AnswerScope(const AnswerScope&) = delete;
  AnswerScope& operator=(const AnswerScope&) = delete;
};

// Runs fn(arg) once the calling thread's answer is out (its AnswerScope
// ends), or now on a thread that answers no request. The same fn and arg put
// off again before then run once. `arg` must outlive the scope.
void AfterAnswer(void (*fn)(void*), void* arg);

}  // namespace fsgate
