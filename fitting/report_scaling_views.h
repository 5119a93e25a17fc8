// The study report's scaling-law views, after the Florenz paper: cross-entropy against compute
// with the Pareto frontier and its compute law (Figure 1), the log-linear law in parameters and
// samples (Table 3), and its extrapolation to larger models at fixed samples with intervals.
#pragma once

#include <string>
#include <vector>

#include "fitting/fit_input.h"
#include "fitting/loglinear_fit.h"
#include "fitting/report.h"
#include "fitting/report_data.h"

namespace florenz {

// The aggregate cross-entropies the paper fits (final metrics written by the trainer).
struct AggregateMetric {
  std::string metric;    // final/<metric>, e.g. "unseen_caption_excl_prefix"
  std::string fallback;  // read when no run has `metric` (older results): "unseen_caption"
  std::string name;      // e.g. "Unseen captioning (UC)"
  std::string tag;       // e.g. "UC"
};
// UC, ST, SC in the paper's order: the cross-entropy after the decoder prefix (the paper's
// headline measure: the fixed "the image shows" phrase says nothing about the image), falling
// back to the CE over every token for results written before florenz recorded it.
const std::vector<AggregateMetric>& AggregateMetrics();

// The runs of `m`: its metric, else its fallback (MetricRuns::metric says which was read).
MetricRuns SelectAggregateRuns(const FitTable& table, const AggregateMetric& m, ComputeUnit unit);

// Cross-entropy vs compute per aggregate, the frontier dashed, log10 CE = α0 + α1 log10 C fitted
// on the frontier (one figure per aggregate, one table of α).
ReportSection ComputeFrontierSection(const FitTable& table, const ReportContext& context);

// log10 CE = β0 + β_N log10 N + β_D log10 D per aggregate: β with intervals and p-values.
ReportSection LogLinearTableSection(const FitTable& table, const ReportContext& context);

// The log-linear law fitted on every model size of a metric's runs but the largest, and its
// predictions at the largest size's runs: what the held-out section and finding report.
struct HeldOutLaw {
  // Why there is no law (fewer than 3 sizes, a fit that cannot be made); empty when fitted.
  std::string error;
  std::string held_size;  // name of the largest size
  int fitted_sizes = 0;
  MetricRuns fitted, held;  // the runs of the smaller sizes, of the largest
  LogLinearFit fit;
  std::vector<LogLinearPrediction> predictions;  // one per run of `held`

  // The held run i lies inside its prediction interval.
  bool Inside(int i) const {
    return held.value[i] >= predictions[i].pi_low && held.value[i] <= predictions[i].pi_high;
  }
  // (predicted − measured) / measured of held run i.
  double Error(int i) const { return (predictions[i].value - held.value[i]) / held.value[i]; }
  // Mean of |Error(i)| over the held runs, and how many lie inside their interval.
  double MeanAbsoluteError() const;
  int InsideCount() const;
};
HeldOutLaw FitWithoutLargestSize(const MetricRuns& runs, const std::string& source,
                                 double confidence);

// The same check along samples: the law fitted on every size's runs at the `budgets` smallest
// sample budgets, predicted at each size's runs at the largest budget (held_size names it,
// "D = 80k").
HeldOutLaw FitOnSmallestBudgets(const MetricRuns& runs, int budgets, const std::string& source,
                                double confidence);

// The held-out check of a scaling law: log-linear law fitted on every size but the largest,
// predicted at the largest size's runs (error, and whether each truth falls inside the
// prediction interval), per aggregate; one figure for UC.
ReportSection HoldoutSection(const FitTable& table, const ReportContext& context);

// The log-linear law at the largest sample budget, extended to N × options.extrapolate, with
// confidence and prediction bands (one figure and one table per aggregate).
ReportSection ExtrapolationSection(const FitTable& table, const ReportContext& context);

}  // namespace florenz
