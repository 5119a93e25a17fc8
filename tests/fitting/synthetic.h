// Synthetic scaling-law data for the fitting tests: Chinchilla's published law on an N × D grid.
#pragma once

#include <cmath>
#include <vector>

#include "fitting/fit_data.h"

namespace florenz::testing {

struct ChinchillaLaw {
  double e = 1.69, a = 406.4, alpha = 0.34, b = 410.7, beta = 0.28;
  double operator()(double n, double d) const {
    return e + a / std::pow(n, alpha) + b / std::pow(d, beta);
  }
};

// sizes × samples points, log-spaced: N ∈ [1e7, 1e10], D ∈ [1e8, 1e11].
inline FitData ChinchillaGrid(int sizes, int samples, const ChinchillaLaw& law = {}) {
  FitData data;
  data.source = "synthetic";
  data.x_names = {"N", "D"};
  data.y_name = "loss";
  data.x.resize(2);
  for (int i = 0; i < sizes; ++i) {
    for (int j = 0; j < samples; ++j) {
      const double n = 1e7 * std::pow(1e3, i / double(sizes - 1));
      const double d = 1e8 * std::pow(1e3, j / double(samples - 1));
      data.x[0].push_back(n);
      data.x[1].push_back(d);
      data.y.push_back(law(n, d));
    }
  }
  return data;
}

// A 4 × 4 grid (N ∈ 1e7…1e10, D ∈ 1e8…10^9.5) of the multiplicative law 20 N^−0.1 D^−0.05
// with a 0–2 % wobble: what the log-linear law fits exactly up to the wobble.
inline FitData PowerLawGrid() {
  FitData data;
  data.source = "synthetic";
  data.x_names = {"N", "D"};
  data.y_name = "loss";
  data.x.resize(2);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const double n = 1e7 * std::pow(10.0, i), d = 1e8 * std::pow(10.0, 0.5 * j);
      data.x[0].push_back(n);
      data.x[1].push_back(d);
      data.y.push_back(20 * std::pow(n, -0.1) * std::pow(d, -0.05) * (1 + 0.01 * ((i + j) % 3)));
    }
  }
  return data;
}

}  // namespace florenz::testing
