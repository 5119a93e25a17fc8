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

// 80000 -> "80k", 2000000 -> "2M", 12345 -> "12345".
std::string FormatCount(int64_t count);

}  // namespace florenz
