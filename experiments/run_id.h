// Stable run ids. An id is derived from the run's resolved configuration alone — never from
// its position in the grid — so adding sizes, budgets or seeds to a grid keeps the ids (and
// the finished results) of the runs it already had.
#pragma once

#include <cstdint>
#include <string>

#include "experiments/experiment_spec.h"

namespace florenz {

// The canonical text hashed into a run's id: one "path = value" line per setting that
// differs from its default, sorted, leaving out names, descriptions and everything that
// does not change what the run computes (parallel layout, retries, checkpoints, limits).
std::string RunIdentityText(const ExperimentSpec& run);

// "<size>-<budget>-s<seed>-<8 hex digits of FNV-1a 64 over RunIdentityText>"; a run of a grid
// with hyperparameter axes carries its point before the hash ("m-80k-s0-lr0.003-1a2b3c4d",
// grid_axes.h AxisIdTag). The hash covers the axis values either way.
std::string MakeRunId(const ExperimentSpec& run, const std::string& axis_tag = "");

// The ids of runs that differ only in budget and seed (one size at one point of a grid's axes),
// without flattening each run's spec: the identity text is flattened once with marker values
// and split around the two lines that change, and the hash carried across the pieces. Id(b, s)
// equals MakeRunId of the same run with budget b and seed s; the constructor checks that on
// probe runs and otherwise falls back to MakeRunId for every run (grid expansion of 1,000,000
// runs: docs/performance.md, "Grid expansion").
class RunIdMaker {
 public:
  // `run`: a one-run spec (one size, one budget, one seed); its budget and seed are replaced.
  RunIdMaker(const ExperimentSpec& run, std::string axis_tag);
  std::string Id(int64_t budget, int64_t seed) const;

 private:
  std::string FastId(int64_t budget, int64_t seed) const;

  ExperimentSpec run_;
  std::string tag_;
  bool fast_ = false;
  // The identity text: pieces_[0], the first changing line, pieces_[1], the second, pieces_[2];
  // seed_first_: the seed's line comes before the budget's (paths sort "experiment." first).
  std::string pieces_[3];
  uint64_t hash_after_first_piece_ = 0;
  bool seed_first_ = true;
  // A line is left out where its value equals the default's (spec_writer.h, Flattener).
  bool seed_has_default_ = false, budget_has_default_ = false;
  int64_t default_seed_ = 0, default_budget_ = 0;
};

// 80000 -> "80k", 2000000 -> "2M", 12345 -> "12345".
std::string FormatCount(int64_t count);

}  // namespace florenz
