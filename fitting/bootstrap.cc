// Bootstrap resampling across threads with per-resample seeds (see bootstrap.h).
#include "fitting/bootstrap.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/errors.h"
#include "core/hash.h"

namespace florenz {
namespace {

// SplitMix64: decorrelates the seeds of neighbouring resamples.
uint64_t Mix(uint64_t x) { return SplitMix64(x); }

}  // namespace

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) throw std::invalid_argument("Percentile of no values");
  std::sort(values.begin(), values.end());
  const double at = q * (values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(at));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (at - lo) * (values[hi] - values[lo]);
}

BootstrapResult Bootstrap(const FitData& data, const BootstrapStatistic& statistic,
                          const BootstrapOptions& options) {
  const SourceLocation where{data.source, 0, 0};
  if (options.resamples < 2) throw ConfigError(where, "the bootstrap needs at least 2 resamples");
  if (!(options.confidence > 0 && options.confidence < 1)) {
    throw ConfigError(where, "the bootstrap confidence must lie in (0, 1)");
  }
  const int k = options.resamples;
  const int n = data.size();
  std::vector<std::vector<double>> stats(k);
  std::atomic<int> next{0};
  auto work = [&] {
    std::vector<int> indices(n);
    for (int r = next++; r < k; r = next++) {
      std::mt19937_64 rng(Mix(options.seed ^ Mix(static_cast<uint64_t>(r))));
      std::uniform_int_distribution<int> pick(0, n - 1);
      for (int& i : indices) i = pick(rng);
      try {
        std::vector<double> s = statistic(data.Subset(indices));
        if (std::all_of(s.begin(), s.end(), [](double v) { return std::isfinite(v); })) {
          stats[r] = std::move(s);
        }
      } catch (const ConfigError&) {
        // A degenerate resample (one distinct value): dropped and counted.
      } catch (const SolverError&) {
        // A resample whose fit did not converge: dropped and counted.
      }
    }
  };
  const int threads = std::max(
      1, std::min(k, options.threads > 0 ? options.threads
                                         : static_cast<int>(std::thread::hardware_concurrency())));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();

  BootstrapResult result;
  result.resamples = k;
  size_t width = 0;
  for (const auto& s : stats) width = std::max(width, s.size());
  std::vector<std::vector<double>> columns(width);
  for (const auto& s : stats) {
    if (s.size() != width) {
      ++result.failed;
      continue;
    }
    for (size_t j = 0; j < width; ++j) columns[j].push_back(s[j]);
  }
  if (width == 0) result.failed = k;  // every resample failed
  if (width == 0 || 2 * result.failed > k) {
    throw ConfigError(where, std::to_string(result.failed) + " of " + std::to_string(k) +
                                 " bootstrap resamples could not be fitted; the data are too few "
                                 "or too degenerate for bootstrap intervals");
  }
  const double tail = 0.5 * (1.0 - options.confidence);
  for (const auto& column : columns) {
    result.low.push_back(Percentile(column, tail));
    result.median.push_back(Percentile(column, 0.5));
    result.high.push_back(Percentile(column, 1.0 - tail));
  }
  return result;
}

}  // namespace florenz
