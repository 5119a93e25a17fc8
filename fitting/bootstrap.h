// Nonparametric bootstrap: refit on K resamples of the points (drawn with replacement) and take
// percentile intervals of any statistics of the fit — parameters, derived exponents,
// predictions. Resample k draws from its own generator seeded by (seed, k), so results do not
// depend on the number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fitting/fit_data.h"

namespace florenz {

struct BootstrapOptions {
  // Number of resamples K. Default 1000 (Epoch AI use 4,000).
  int resamples = 1000;
  // Seed of the resampling; the same seed gives the same intervals.
  uint64_t seed = 0;
  // Level of the percentile intervals, in (0, 1). Default 0.95: the 2.5% and 97.5% percentiles.
  double confidence = 0.95;
  // Worker threads; 0 = std::thread::hardware_concurrency(). The statistic must be thread-safe.
  int threads = 0;
};

// Maps a resample to its statistics (same length and order every time). It may throw
// ConfigError for a degenerate resample (e.g. one distinct N) or SolverError for one whose fit
// did not converge; that resample is dropped.
using BootstrapStatistic = std::function<std::vector<double>(const FitData& resample)>;

struct BootstrapResult {
  int resamples = 0;           // requested
  int failed = 0;              // dropped: the statistic threw, or returned a non-finite value
  std::vector<double> low;     // percentile (1 − confidence)/2 of each statistic
  std::vector<double> median;  // 50th percentile
  std::vector<double> high;    // percentile (1 + confidence)/2
};

// Throws ConfigError if more than half of the resamples fail (the intervals would mean little).
BootstrapResult Bootstrap(const FitData& data, const BootstrapStatistic& statistic,
                          const BootstrapOptions& options = {});

// The q-quantile (0 <= q <= 1) of `values` with linear interpolation (NumPy's default).
double Percentile(std::vector<double> values, double q);

}  // namespace florenz
