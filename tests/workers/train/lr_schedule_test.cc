// Learning-rate schedules: warm-up, cosine, warmup-stable-decay, constant.
#include "workers/train/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>

namespace florenz::train {
namespace {

TrainingOptions Options(ScheduleKind kind) {
  TrainingOptions t;
  t.batch_size = 10;
  t.optimizer.learning_rate = 1.0;
  t.schedule.kind = kind;
  t.schedule.warmup_fraction = 0.1;
  t.schedule.min_lr_ratio = 0.1;
  t.schedule.decay_fraction = 0.2;
  return t;
}

TEST(LrScheduleTest, WarmsUpLinearlyThenDecaysByCosineToTheFloor) {
  const LrSchedule s(Options(ScheduleKind::kCosine), 100);
  EXPECT_EQ(s.warmup_steps(), 10);
  EXPECT_NEAR(s.At(0), 1.0 / 11, 1e-12);
  EXPECT_NEAR(s.At(9), 10.0 / 11, 1e-12);
  EXPECT_NEAR(s.At(10), 1.0, 1e-12);
  EXPECT_NEAR(s.At(55), 0.1 + 0.9 * 0.5, 1e-12);  // halfway through the decay
  EXPECT_NEAR(s.At(100), 0.1, 1e-12);
  for (int i = 11; i < 100; ++i) EXPECT_LE(s.At(i), s.At(i - 1));
}

TEST(LrScheduleTest, WarmupSamplesOverrideTheFraction) {
  TrainingOptions t = Options(ScheduleKind::kCosine);
  t.schedule.warmup_samples = 250;  // 25 steps of 10
  EXPECT_EQ(LrSchedule(t, 100).warmup_steps(), 25);
}

TEST(LrScheduleTest, WsdHoldsThePeakThenDecaysLinearly) {
  const LrSchedule s(Options(ScheduleKind::kWsd), 100);
  EXPECT_NEAR(s.At(50), 1.0, 1e-12);
  EXPECT_NEAR(s.At(79), 1.0, 1e-12);
  EXPECT_NEAR(s.At(90), 0.55, 1e-12);
  EXPECT_NEAR(s.At(100), 0.1, 1e-12);
}

// A quarter into the decay (steps 80-100 of 100): linear is a quarter of the way to the floor,
// the half cosine less, 1-sqrt half of it; every shape holds the peak before and ends at the
// floor.
TEST(LrScheduleTest, WsdDecayShapes) {
  const std::pair<DecayShape, double> shapes[] = {
      {DecayShape::kLinear, 1.0 - 0.9 * 0.25},
      {DecayShape::kCosine, 1.0 - 0.9 * 0.5 * (1.0 - std::cos(M_PI / 4))},
      {DecayShape::kOneMinusSqrt, 1.0 - 0.9 * 0.5}};
  for (const auto& [shape, at_quarter] : shapes) {
    TrainingOptions t = Options(ScheduleKind::kWsd);
    t.schedule.decay_shape = shape;
    const LrSchedule s(t, 100);
    EXPECT_NEAR(s.At(79), 1.0, 1e-12) << ToString(shape);
    EXPECT_NEAR(s.At(80), 1.0, 1e-12) << ToString(shape);
    EXPECT_NEAR(s.At(85), at_quarter, 1e-12) << ToString(shape);
    EXPECT_NEAR(s.At(100), 0.1, 1e-12) << ToString(shape);
    for (int step = 80; step < 100; ++step) EXPECT_GE(s.At(step), s.At(step + 1));
  }
}

TEST(LrScheduleTest, ConstantAfterWarmup) {
  const LrSchedule s(Options(ScheduleKind::kConstant), 100);
  EXPECT_NEAR(s.At(10), 1.0, 1e-12);
  EXPECT_NEAR(s.At(99), 1.0, 1e-12);
}

TEST(LrScheduleTest, TinyRunsStillWarmUpAndDecay) {
  const LrSchedule s(Options(ScheduleKind::kCosine), 1);
  EXPECT_EQ(s.warmup_steps(), 0);
  EXPECT_GT(s.At(0), 0);
}

}  // namespace
}  // namespace florenz::train
