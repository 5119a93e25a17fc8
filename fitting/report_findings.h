// The study's findings in a few sentences, computed from the results table: what `florenz
// report` prints, writes to findings.txt and puts at the top of the page. They answer the
// Florenz paper's questions with this study's numbers: does unseen-caption cross-entropy follow
// the log-linear law (R²), do parameters matter more than samples for unseen than for seen
// pairs (b_N and b_D with intervals), does the decoder prefix change the output language and
// BLEU of unseen captions at each size, and does the law fitted without the largest size
// predict it (the log-linear law, or the protocol of `florenz report --law` when one is given).
#pragma once

#include <string>
#include <vector>

#include "fitting/fit_input.h"
#include "fitting/report.h"

namespace florenz {

// One finding per line, plain text; a question the table cannot answer (a metric not recorded,
// too few runs for a fit) gets a line saying so. Never throws for missing data. With
// `prediction_holdout` (the report's held-out section under `--law`, report_prediction.h) the
// held-out finding quotes its checks instead of fitting the log-linear law without the largest
// size.
std::vector<std::string> StudyFindings(const FitTable& table, const ReportOptions& options,
                                       const ReportSection* prediction_holdout = nullptr);

}  // namespace florenz
