// The search phase's minimiser (huber_fit.cc): L-BFGS with a strong-Wolfe line search on the
// summed Huber objective, for up to 17 parameters, without allocation. It replaces Ceres'
// GradientProblemSolver for the thousands of starts, whose per-iteration bookkeeping (timers,
// dynamic vectors) cost more than the vectorised objective itself.
#pragma once

#include "fitting/huber_objective.h"

namespace florenz {

struct LbfgsOptions {
  int max_iterations = 100;
  // Converged when |f_k − f_{k+1}| <= function_tolerance · |f_k|, when max_i |∂f/∂p_i| <=
  // gradient_tolerance, or when ‖p_{k+1} − p_k‖ <= parameter_tolerance · (‖p_k‖ +
  // parameter_tolerance): Ceres' criteria.
  double function_tolerance = 1e-8;
  double gradient_tolerance = 1e-10;
  double parameter_tolerance = 1e-8;
  int memory = 20;  // correction pairs kept (at most kLbfgsMaxMemory); Ceres' default rank
};

inline constexpr int kLbfgsMaxParameters = 17;
inline constexpr int kLbfgsMaxMemory = 20;

struct LbfgsSummary {
  double cost = 0;         // the objective at the returned point (finite if usable)
  bool usable = false;     // the start itself was finite; p holds the lowest point reached
  bool converged = false;  // a tolerance was met within max_iterations
  int iterations = 0;
  int evaluations = 0;
};

// Minimises `objective` from p (in place). Deterministic: depends only on p and the options.
LbfgsSummary MinimizeLbfgs(const SummedHuberObjective& objective, const LbfgsOptions& options,
                           double* p);

}  // namespace florenz
