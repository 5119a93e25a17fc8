// Budget branching (training.branching; Hägele et al. 2024, "Scaling Laws and Compute-Optimal
// Training Beyond Fixed Training Durations"; MiniCPM's warmup-stable-decay schedule). With a wsd
// schedule and a warm-up fixed in samples, a run of budget B trains at the peak rate until its
// decay start D(B) and decays to B; before D(B) it computes exactly what any longer run of the
// same size and seed computes (same weights, same samples, same rates). So for each (size,
// seed) the run of the largest budget is the *trunk*: at step D(B) of every smaller budget B
// it writes that run's checkpoint and its rows so far, and that run — a *branch* — starts there,
// as a resumed run would, and only decays. Every branch is bit for bit the run trained alone;
// the grid trains max B + Σ (B − D(B)) samples per (size, seed) instead of Σ B.
#pragma once

#include <cstdint>
#include <vector>

#include "experiments/run_spec.h"
#include "experiments/training_options.h"

namespace florenz {

// Optimizer steps of a run of `samples` (at least one): what the trainer runs.
int64_t TrainingSteps(const TrainingOptions& training, int64_t samples);
// Warm-up steps of a run of `total_steps` (workers/train/lr_schedule.h uses this).
int64_t WarmupSteps(const TrainingOptions& training, int64_t total_steps);
// The first step of a wsd run's decay: the learning rate is the peak before it.
int64_t WsdDecayStartStep(const TrainingOptions& training, int64_t total_steps);

// With training.branching, links each (size, seed)'s runs: the largest budget becomes the trunk
// of every other whose decay start is at least one step (a shorter one stays a plain run).
// Run ids do not change. Runs of a grid without branching are left alone.
void LinkBranches(std::vector<RunSpec>& runs);
// The same for the runs [first, last).
void LinkBranches(RunSpec* first, RunSpec* last);

// Samples the runs train: with branching (a branch only after its branch point) and without.
struct BranchingSavings {
  int64_t with_branching = 0;
  int64_t without_branching = 0;
};
BranchingSavings TrainedSamples(const std::vector<RunSpec>& runs);

}  // namespace florenz
