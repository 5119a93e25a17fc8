// The coordinator ↔ worker protocol: every message kind packs and unpacks to itself, and a
// buffer that is not a message is refused, not misread.
#include "orchestrator/protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.h"

namespace florenz {
namespace {

template <class T>
T RoundTrip(const T& message) {
  const Message back = Unpack(Pack(message));
  EXPECT_TRUE(std::holds_alternative<T>(back)) << KindName(back);
  return std::get<T>(back);
}

TEST(ProtocolTest, AssignRoundTrips) {
  const Assign back = RoundTrip(Assign{7, 2, 29999, {3, 4, 5, 6}});
  EXPECT_EQ(back.run, 7);
  EXPECT_EQ(back.attempt, 2);
  EXPECT_EQ(back.tag, 29999);
  EXPECT_THAT(back.ranks, ::testing::ElementsAre(3, 4, 5, 6));
  EXPECT_EQ(RunOf(back), 7);
  EXPECT_STREQ(KindName(back), "Assign");
}

TEST(ProtocolTest, ProgressRoundTrips) {
  const Progress back = RoundTrip(Progress{3, 41, 100, int64_t{1} << 40, 2.5, 1234.5, 61.25, true});
  EXPECT_EQ(back.run, 3);
  EXPECT_EQ(back.step, 41);
  EXPECT_EQ(back.steps, 100);
  EXPECT_EQ(back.samples, int64_t{1} << 40);  // beyond a double's exact integers it would not be
  EXPECT_EQ(back.loss, 2.5);
  EXPECT_EQ(back.samples_per_second, 1234.5);
  EXPECT_EQ(back.seconds, 61.25);
  EXPECT_TRUE(back.resumed);
}

TEST(ProtocolTest, DoneRoundTripsWithANaNMetric) {
  const Done back = RoundTrip(Done{0, 12.5, 1.5, std::nan("")});
  EXPECT_EQ(back.run, 0);
  EXPECT_EQ(back.seconds, 12.5);
  EXPECT_EQ(back.evaluation_seconds, 1.5);
  EXPECT_TRUE(std::isnan(back.unseen_caption));
  EXPECT_EQ(RoundTrip(Done{1, 1, 0, 3.25}).unseen_caption, 3.25);
}

TEST(ProtocolTest, FailedRoundTripsItsReason) {
  const Failed back = RoundTrip(Failed{5, "loss is NaN at step 12\nsecond line"});
  EXPECT_EQ(back.run, 5);
  EXPECT_EQ(back.reason, "loss is NaN at step 12\nsecond line");
  EXPECT_EQ(RoundTrip(Failed{6, ""}).reason, "");
  EXPECT_FALSE(back.aborted);
  // A member that left because another one failed says so.
  EXPECT_TRUE(RoundTrip(Failed{7, "gang member rank 2 failed: x", /*aborted=*/true}).aborted);
}

TEST(ProtocolTest, InterruptedRoundTrips) {
  const Interrupted back = RoundTrip(Interrupted{9, 250, "signal 12: checkpointed at step 250"});
  EXPECT_EQ(back.run, 9);
  EXPECT_EQ(back.step, 250);
  EXPECT_EQ(back.reason, "signal 12: checkpointed at step 250");
}

TEST(ProtocolTest, StorageFailedRoundTrips) {
  const StorageFailed back = RoundTrip(StorageFailed{4, "out/runs/x.h5.partial: No space left"});
  EXPECT_EQ(back.run, 4);
  EXPECT_EQ(back.error, "out/runs/x.h5.partial: No space left");
}

TEST(ProtocolTest, BranchReadyRoundTrips) {
  const BranchReady back = RoundTrip(BranchReady{5, 2});
  EXPECT_EQ(back.run, 5);  // the trunk: the run the message is about
  EXPECT_EQ(back.branch, 2);
  EXPECT_EQ(RunOf(BranchReady{5, 2}), 5);
  EXPECT_STREQ(KindName(BranchReady{5, 2}), "BranchReady");
}

TEST(ProtocolTest, ShutdownRoundTrips) {
  const Message back = Unpack(Pack(Shutdown{}));
  EXPECT_TRUE(std::holds_alternative<Shutdown>(back));
  EXPECT_EQ(RunOf(back), -1);
}

TEST(ProtocolTest, ABufferThatIsNoMessageIsRefused) {
  std::vector<char> bytes = Pack(Failed{1, "reason"});
  EXPECT_THROW(Unpack({bytes.begin(), bytes.end() - 1}), RunError);  // cut short
  bytes.push_back('x');
  EXPECT_THROW(Unpack(bytes), RunError);  // a byte left over
  std::vector<char> unknown = Pack(Shutdown{});
  unknown[0] = 42;  // no such kind
  EXPECT_THAT([&] { Unpack(unknown); },
              ::testing::ThrowsMessage<RunError>(::testing::HasSubstr("unknown message kind 42")));
  EXPECT_THROW(Unpack({}), RunError);
}

}  // namespace
}  // namespace florenz
