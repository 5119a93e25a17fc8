// Compute-optimal allocation from a fitted additive law L = E + A/N^α + B/D^β under the
// training-compute model C = 6·N·D (Hoffmann et al. 2022, eq. 4):
//   N_opt(C) = G (C/6)^a,  D_opt(C) = G⁻¹ (C/6)^b,  a = β/(α+β),  b = α/(α+β),
//   G = (αA / (βB))^(1/(α+β)).
#pragma once

#include "fitting/huber_fit.h"

namespace florenz {

struct ComputeOptimal {
  double g = 0;                       // G
  double a = 0;                       // exponent of N_opt in C: β/(α+β)
  double b = 0;                       // exponent of D_opt in C: α/(α+β)
  double flops_per_param_sample = 6;  // the 6 of C = 6ND

  double NOpt(double c) const;
  double DOpt(double c) const;
};

// `n_index`, `d_index`: which of the law's variables are N and D. Throws ConfigError unless the
// law has both, and α, β, A, B > 0 (otherwise no finite optimum exists).
ComputeOptimal ComputeOptimalAllocation(const AdditiveFit& law, int n_index, int d_index,
                                        double flops_per_param_sample = 6);

}  // namespace florenz
