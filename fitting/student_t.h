// Student's t distribution: the two-sided p-value and the quantile that OLS confidence intervals,
// prediction intervals and p-values need. Written out here (regularized incomplete beta) so that
// fitting/ needs no statistics library.
#pragma once

namespace florenz {

// P(T <= t) for T ~ Student t with `dof` > 0 degrees of freedom.
double StudentTCdf(double t, double dof);

// 2 · P(T >= |t|): the two-sided p-value of a t statistic.
double StudentTTwoSidedP(double t, double dof);

// The q-quantile (0 < q < 1): StudentTCdf(StudentTQuantile(q, dof), dof) == q to ~1e-14.
double StudentTQuantile(double q, double dof);

}  // namespace florenz
