// The study report's scaling-law views, after the Florenz paper: cross-entropy against compute
// with the Pareto frontier and its compute law (Figure 1), the log-linear law in parameters and
// samples (Table 3), and its extrapolation to larger models at fixed samples with intervals.
#pragma once

#include <string>
#include <vector>

#include "fitting/fit_input.h"
#include "fitting/report.h"

namespace florenz {

// The aggregate cross-entropies the paper fits (final metrics written by the trainer).
struct AggregateMetric {
  std::string metric;  // final/<metric>, e.g. "unseen_caption"
  std::string name;    // e.g. "Unseen captioning (UC)"
  std::string tag;     // e.g. "UC"
};
// UC, ST, SC in the paper's order.
const std::vector<AggregateMetric>& AggregateMetrics();

// Cross-entropy vs compute per aggregate, the frontier dashed, log10 CE = α0 + α1 log10 C fitted
// on the frontier (one figure per aggregate, one table of α).
ReportSection ComputeFrontierSection(const FitTable& table, const ReportContext& context);

// log10 CE = β0 + β_N log10 N + β_D log10 D per aggregate: β with intervals and p-values.
ReportSection LogLinearTableSection(const FitTable& table, const ReportContext& context);

// The log-linear law at the largest sample budget, extended to N × options.extrapolate, with
// confidence and prediction bands (one figure and one table per aggregate).
ReportSection ExtrapolationSection(const FitTable& table, const ReportContext& context);

}  // namespace florenz
