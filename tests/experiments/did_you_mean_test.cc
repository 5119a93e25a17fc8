// Suggestions for misspelled keys and names.
#include "experiments/did_you_mean.h"

#include <gtest/gtest.h>

namespace florenz {
namespace {

TEST(DidYouMeanTest, EditDistanceCountsInsertDeleteSubstitute) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("abc", ""), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("learning_rate", "learning_rat"), 1);
}

TEST(DidYouMeanTest, SuggestsTheClosePlausibleKey) {
  const std::vector<std::string> keys{"learning_rate", "weight_decay", "beta1", "beta2"};
  EXPECT_EQ(ClosestMatch("learnin_rate", keys), "learning_rate");
  EXPECT_EQ(ClosestMatch("weight_decya", keys), "weight_decay");
  EXPECT_EQ(DidYouMean("beta3", keys), " (did you mean 'beta1'?)");
}

TEST(DidYouMeanTest, SuggestsNothingForUnrelatedWords) {
  EXPECT_EQ(ClosestMatch("zzzzzzzz", {"learning_rate", "seed"}), "");
  EXPECT_EQ(DidYouMean("banana", {"seed"}), "");
}

}  // namespace
}  // namespace florenz
