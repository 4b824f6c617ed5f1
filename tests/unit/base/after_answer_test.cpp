#include "base/after_answer.h"

#include <gtest/gtest.h>

#include <vector>

namespace fsgate {
namespace {

void Record(void* arg) { static_cast<std::vector<int>*>(arg)->push_back(1); }
void RecordTwo(void* arg) { static_cast<std::vector<int>*>(arg)->push_back(2); }

TEST(AfterAnswer, RunsAtOnceOnAThreadAnsweringNoRequest) {
  std::vector<int> ran;
  AfterAnswer(&Record, &ran);
  EXPECT_EQ(ran, std::vector<int>{1});
}

TEST(AfterAnswer, WaitsForTheAnswerThenRunsInOrderOnce) {
  std::vector<int> ran;
  {
    AnswerScope answering;
    AfterAnswer(&Record, &ran);
    AfterAnswer(&RecordTwo, &ran);
    AfterAnswer(&Record, &ran);  // the same wake again: kept once
    EXPECT_TRUE(ran.empty());
  }
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  AfterAnswer(&Record, &ran);  // the next request's work is not held
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 1}));
}

TEST(AfterAnswer, WorkBeyondWhatIsKeptRunsAtOnce) {
  std::vector<std::vector<int>> ran(6);
  {
    AnswerScope answering;
    for (auto& r : ran) AfterAnswer(&Record, &r);
    size_t done = 0;
    for (const auto& r : ran) done += r.size();
    EXPECT_EQ(done, 2u);  // four kept for later, the rest not lost
  }
  for (const auto& r : ran) EXPECT_EQ(r, std::vector<int>{1});
}

}  // namespace
}  // namespace fsgate
