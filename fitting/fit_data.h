// FitData: the points a law is fitted to (named positive x columns and a positive y), and the
// checks every law runs before fitting, so bad input is reported once, with the file and column,
// as a ConfigError (exit code 2), never as a NaN result.
#pragma once

#include <string>
#include <vector>

namespace florenz {

struct FitData {
  // Where the points came from (a file path), for error messages.
  std::string source;
  // Names of the explanatory variables, e.g. {"N", "D"}; the columns of `x`, same order.
  std::vector<std::string> x_names;
  // x[j][i]: variable j of point i. Every column has y.size() entries.
  std::vector<std::vector<double>> x;
  // Name of the response, e.g. "loss".
  std::string y_name = "y";
  // The response of each point.
  std::vector<double> y;
  // Optional training compute of each point (for --holdout largest and plots); empty or
  // y.size() entries.
  std::vector<double> compute;
  // Optional label per point (a run id, or "row 7"), for messages; empty or y.size() entries.
  std::vector<std::string> labels;
  // Optional, per point (empty or y.size() entries), from a results table: the run's size name
  // (config/size) and sample budget (config/samples), for --holdout size:NAME and budget:>D,
  // and its cell — what a seed does not change (size, budget and point on the hyperparameter
  // axes) — for --target seed-mean.
  std::vector<std::string> sizes;
  std::vector<double> samples;
  std::vector<std::string> cells;
  // Set by SeedMeans (--target seed-mean; fitting/seed_mean.h), per point: the seeds averaged
  // and the seed floor, the standard error of the cell's mean relative to it (NaN for one seed).
  std::vector<int> seeds;
  std::vector<double> seed_floor;

  int size() const { return static_cast<int>(y.size()); }
  int variables() const { return static_cast<int>(x.size()); }
  // The label of point i: labels[i] if present, else "row i+1".
  std::string Label(int i) const;
  // The points at `indices` (repeats allowed: a bootstrap resample).
  FitData Subset(const std::vector<int>& indices) const;
  // The index of variable `name`, or -1.
  int VariableIndex(const std::string& name) const;
};

// Throws ConfigError (naming data.source and the column or point) unless: every x and y value
// is finite and > 0; there are more than `n_params` points (so at least one residual degree of
// freedom); every variable takes at least two distinct values.
void CheckFitData(const FitData& data, int n_params, const std::string& law);

}  // namespace florenz
