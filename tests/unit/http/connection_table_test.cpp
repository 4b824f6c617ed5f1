#include "http/connection_table.h"

#include <gtest/gtest.h>

namespace fsgate::http {
namespace {

using Ptr = ConnectionTable::ConnectionPtr;

Ptr Conn(const std::string& client) {
  return std::make_shared<OpenConnection>(-1, client, client + ":1");
}

// Admits `c`, expecting no refusal; returns what was evicted for it.
std::vector<Ptr> AdmitOk(ConnectionTable& table, const Ptr& c) {
  std::vector<Ptr> evicted;
  EXPECT_EQ(table.Admit(c, evicted), nullptr);
  return evicted;
}

TEST(ConnectionTableTest, PerClientLimitClosesThatClientsLongestIdle) {
  ConnectionTable table(100, 2);
  auto a1 = Conn("a"), a2 = Conn("a"), b1 = Conn("b");
  AdmitOk(table, b1);
  AdmitOk(table, a1);
  AdmitOk(table, a2);
  ASSERT_TRUE(table.Park(b1));  // idle the longest, but another client's
  ASSERT_TRUE(table.Park(a2));
  ASSERT_TRUE(table.Park(a1));
  auto evicted = AdmitOk(table, Conn("a"));
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0], a2);
  EXPECT_EQ(a2->state, OpenConnection::State::kGone);
  EXPECT_FALSE(table.Unpark(*a2));  // its wait ends: closed, not served
  EXPECT_TRUE(table.Unpark(*b1));
  EXPECT_EQ(table.size(), 3u);
}

TEST(ConnectionTableTest, GlobalLimitClosesAnIdleOneOfTheClientHoldingTheMost) {
  ConnectionTable table(4, 100);
  auto b1 = Conn("b"), a1 = Conn("a"), a2 = Conn("a"), a3 = Conn("a");
  for (auto& c : {b1, a1, a2, a3}) {
    AdmitOk(table, c);
    ASSERT_TRUE(table.Park(c));
  }
  auto evicted = AdmitOk(table, Conn("c"));
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0], a1);  // not b1, idle longer but of a client holding one
  EXPECT_EQ(table.size(), 4u);
}

TEST(ConnectionTableTest, RefusedOnlyWhenEveryConnectionThatCouldMakeRoomIsBusy) {
  ConnectionTable table(2, 1);
  auto a1 = Conn("a"), b1 = Conn("b");
  AdmitOk(table, a1);
  AdmitOk(table, b1);
  std::vector<Ptr> evicted;
  EXPECT_STREQ(table.Admit(Conn("a"), evicted), "--max-connections-per-client");
  EXPECT_STREQ(table.Admit(Conn("c"), evicted), "--max-connections");
  EXPECT_TRUE(evicted.empty());
  ASSERT_TRUE(table.Park(b1));
  EXPECT_STREQ(table.Admit(Conn("a"), evicted), "--max-connections-per-client");  // a1 busy
  EXPECT_EQ(AdmitOk(table, Conn("c")), std::vector<Ptr>{b1});
}

TEST(ConnectionTableTest, IdleTimeoutTakesTheParkedLongEnough) {
  ConnectionTable table(10, 10);
  auto a = Conn("a"), b = Conn("a");
  AdmitOk(table, a);
  AdmitOk(table, b);
  const auto timeout = std::chrono::seconds(60);
  ASSERT_TRUE(table.Park(a));
  auto next = table.NextDeadline(timeout);
  ASSERT_TRUE(next);
  ASSERT_TRUE(table.Park(b));
  EXPECT_EQ(table.NextDeadline(timeout), next);
  EXPECT_TRUE(table.TakeIdle(*next - std::chrono::nanoseconds(1), timeout).empty());
  auto idle = table.TakeIdle(b->parked_since + timeout, timeout);
  EXPECT_EQ(idle, (std::vector<Ptr>{a, b}));
  EXPECT_FALSE(table.NextDeadline(timeout));
  EXPECT_EQ(table.size(), 0u);
}

TEST(ConnectionTableTest, AStalledHeaderSectionIsNeverEvictedAndIsWokenAtItsDeadline) {
  ConnectionTable table(1, 10);
  auto slow = Conn("a");
  AdmitOk(table, slow);
  slow->stalled_parser = std::make_shared<int>(0);
  slow->header_deadline = ConnectionTable::Clock::now() + std::chrono::hours(1);
  ASSERT_TRUE(table.Park(slow));
  std::vector<Ptr> evicted;
  EXPECT_STREQ(table.Admit(Conn("b"), evicted), "--max-connections");  // a request began
  EXPECT_EQ(table.NextDeadline(std::chrono::seconds(1)), slow->header_deadline);
  EXPECT_TRUE(table.TakeStalled(slow->header_deadline - std::chrono::nanoseconds(1)).empty());
  EXPECT_EQ(table.TakeStalled(slow->header_deadline), std::vector<Ptr>{slow});
  EXPECT_FALSE(table.NextDeadline(std::chrono::seconds(1)));
  EXPECT_TRUE(table.Unpark(*slow));  // still the table's: a worker answers it
  ASSERT_TRUE(table.Park(slow));
  EXPECT_EQ(table.CloseAll(), std::vector<Ptr>{slow});
  EXPECT_TRUE(table.Unpark(*slow));  // answered before the server stops
  table.Remove(*slow);
  EXPECT_EQ(table.size(), 0u);
}

TEST(ConnectionTableTest, CloseAllTakesTheParkedAndTellsTheBusyToClose) {
  ConnectionTable table(10, 10);
  auto idle = Conn("a"), busy = Conn("a");
  AdmitOk(table, idle);
  AdmitOk(table, busy);
  ASSERT_TRUE(table.Park(idle));
  EXPECT_EQ(table.CloseAll(), std::vector<Ptr>{idle});
  EXPECT_TRUE(busy->closing);
  EXPECT_FALSE(table.Park(busy));  // done with its request: closes, not parked
  std::vector<Ptr> evicted;
  EXPECT_NE(table.Admit(Conn("b"), evicted), nullptr);
  table.WaitEmpty();  // returns: nothing is left
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace fsgate::http
