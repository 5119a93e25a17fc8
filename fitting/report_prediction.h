// The study report's held-out section under an explicit protocol (`florenz report --law LAW`,
// docs/fitting.md, "The study report"): per aggregate cross-entropy (UC, ST, SC) and per
// held-out check, the law fitted by `florenz fit`'s driver without the held-out cells, their
// predictions with errors, seed floors and cell-bootstrap prediction intervals.
#pragma once

#include "fitting/report.h"
#include "fitting/report_data.h"

namespace florenz {

// The "holdout" section when context.options.prediction.law is set (report_scaling_views.h's
// HoldoutSection otherwise). Reads the results table itself (every run, not the report's
// selection). A check that cannot be made is listed as missing, with the reason.
ReportSection PredictionHoldoutSection(const FitTable& table, const ReportContext& context);

}  // namespace florenz
