// MacCounter: counts the multiply-accumulates of the matrix products that the tensor-parallel
// layers and attention perform on this thread while one is alive. Tests use it to check the
// analytic FLOP count (experiments/model_cost.h) against a real forward pass; when no counter
// is alive, counting costs one thread-local load.
#pragma once

#include <cstdint>

namespace florenz {

class MacCounter {
 public:
  MacCounter() : previous_(active_) { active_ = this; }
  ~MacCounter() { active_ = previous_; }
  MacCounter(const MacCounter&) = delete;
  MacCounter& operator=(const MacCounter&) = delete;

  // Multiply-accumulates counted since construction.
  double macs() const { return macs_; }

  // Adds `macs` to the innermost live counter of this thread, if any.
  static void Add(double macs) {
    if (active_ != nullptr) active_->macs_ += macs;
  }

 private:
  static inline thread_local MacCounter* active_ = nullptr;
  MacCounter* previous_;
  double macs_ = 0;
};

}  // namespace florenz
