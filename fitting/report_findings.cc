// The study's findings (see report_findings.h).
#include "fitting/report_findings.h"

#include <algorithm>
#include <map>

#include "core/errors.h"
#include "fitting/loglinear_fit.h"
#include "fitting/report_data.h"
#include "fitting/report_scaling_views.h"

namespace florenz {
namespace {

const AggregateMetric& Aggregate(const std::string& tag) {
  for (const AggregateMetric& m : AggregateMetrics()) {
    if (m.tag == tag) return m;
  }
  throw std::logic_error("no aggregate " + tag);
}

// "UC: log10 CE = … b_N = -0.2 [-0.3, -0.1], b_D = …, R² = 0.9 (16 runs)".
std::string LawFinding(const FitTable& table, const ReportOptions& options,
                       const AggregateMetric& m, LogLinearFit* fit_out) {
  const MetricRuns runs = SelectAggregateRuns(table, m, options.compute);
  if (runs.empty()) return m.tag + ": no law (" + runs.absent + ")";
  try {
    LogLinearOptions ols;
    ols.confidence = options.confidence;
    const LogLinearFit fit = FitLogLinear(runs.ToFitData({"N", "D"}, table.source), ols);
    if (fit_out) *fit_out = fit;
    return m.tag + " (" + runs.metric + "): b_N = " + ReportNumber(fit.coef(1), 2) + " " +
           ReportInterval(fit.ci_low(1), fit.ci_high(1), 2) +
           ", b_D = " + ReportNumber(fit.coef(2), 2) + " " +
           ReportInterval(fit.ci_low(2), fit.ci_high(2), 2) +
           ", b_N/b_D = " + ReportNumber(fit.coef(1) / fit.coef(2), 2) +
           ", R² = " + ReportNumber(fit.r2, 3) + " over " + std::to_string(fit.n) + " runs";
  } catch (const ConfigError& e) {
    return m.tag + ": the log-linear law could not be fitted: " + e.what();
  }
}

// Both exponents of a law differ from 0 at the 5% level.
bool Significant(const LogLinearFit& fit) { return fit.p(1) < 0.05 && fit.p(2) < 0.05; }

// Mean of `runs` per (N, size name) at budget d.
std::map<std::pair<double, std::string>, double> MeanAtBudget(const MetricRuns& runs, double d) {
  std::map<std::pair<double, std::string>, std::pair<double, int>> sums;
  for (int i = 0; i < runs.size(); ++i) {
    if (runs.d[i] != d) continue;
    auto& sum = sums[{runs.n[i], runs.size_name[i]}];
    sum.first += runs.value[i];
    sum.second += 1;
  }
  std::map<std::pair<double, std::string>, double> means;
  for (const auto& [key, sum] : sums) means[key] = sum.first / sum.second;
  return means;
}

// Per size at the largest budget: share of unseen captions in the target language without /
// with the prefix, and BLEU without / with.
std::string PrefixFinding(const FitTable& table, const ReportOptions& options) {
  const MetricRuns lang =
      SelectMetricRuns(table, "unseen_caption_language_accuracy", options.compute);
  const MetricRuns lang_prefix =
      SelectMetricRuns(table, "unseen_caption_language_accuracy_prefix", options.compute);
  const MetricRuns bleu = SelectMetricRuns(table, "unseen_caption_bleu", options.compute);
  const MetricRuns bleu_prefix =
      SelectMetricRuns(table, "unseen_caption_bleu_prefix", options.compute);
  if (bleu_prefix.empty() || bleu.empty()) {
    return "Decoder prefix: not evaluated (the grid records no BLEU with and without the prefix "
           "for evaluation-only captioning)";
  }
  const double d = bleu_prefix.Budgets().back();
  const auto b0 = MeanAtBudget(bleu, d), b1 = MeanAtBudget(bleu_prefix, d);
  const auto l0 = MeanAtBudget(lang, d), l1 = MeanAtBudget(lang_prefix, d);
  std::string text = "Decoder prefix at D = " + ReportCount(d) +
                     " (mean over seeds; in target language without -> with prefix, BLEU "
                     "without -> with):";
  for (const auto& [key, with] : b1) {
    text += " " + key.second + ": ";
    if (l0.count(key) && l1.count(key)) {
      text += ReportNumber(l0.at(key), 2) + " -> " + ReportNumber(l1.at(key), 2) + ", ";
    }
    text += "BLEU " + (b0.count(key) ? ReportNumber(b0.at(key), 3) : std::string("-")) + " -> " +
            ReportNumber(with, 3) + ";";
  }
  text.pop_back();
  return text;
}

// The law fitted without the largest size, at the largest size's runs.
std::string HoldoutFinding(const FitTable& table, const ReportOptions& options) {
  const AggregateMetric& m = Aggregate("UC");
  const MetricRuns runs = SelectAggregateRuns(table, m, options.compute);
  if (runs.empty()) return "Held out: no unseen-caption cross-entropy recorded";
  const HeldOutLaw law = FitWithoutLargestSize(runs, table.source, options.confidence);
  if (!law.error.empty()) return "Held out (UC): " + law.error;
  int inside = 0;
  double worst = 0;
  std::string each;
  for (int i = 0; i < law.held.size(); ++i) {
    worst = std::max(worst, std::abs(law.Error(i)));
    inside += law.Inside(i);
    each += (each.empty() ? "" : ", ") + ReportCount(law.held.d[i]) + ": " +
            ReportNumber(100 * law.Error(i), 2) + "%";
  }
  std::string text = "Held out " + law.held_size + " (UC, law fitted on the " +
                     std::to_string(law.fitted_sizes) + " smaller sizes): prediction error by " +
                     "budget " + each + " (mean |error| " +
                     ReportNumber(100 * law.MeanAbsoluteError(), 2) + "%, largest " +
                     ReportNumber(100 * worst, 2) + "%); " + std::to_string(inside) + " of " +
                     std::to_string(law.held.size()) + " inside the " +
                     ReportPercent(options.confidence) + " prediction interval";
  const HeldOutLaw along = FitOnSmallestBudgets(runs, 3, table.source, options.confidence);
  if (along.error.empty()) {
    text += ". Along samples (law on the 3 smallest budgets, predicting " + along.held_size +
            "): mean |error| " + ReportNumber(100 * along.MeanAbsoluteError(), 2) + "%, " +
            std::to_string(along.InsideCount()) + " of " + std::to_string(along.held.size()) +
            " inside";
  }
  return text;
}

// The held-out section under `--law`, in one line: its checks' summaries (every paragraph but
// the first, which says how the checks were made) and the checks it could not make.
std::string PredictionFinding(const ReportSection& holdout, const ReportOptions& options) {
  std::string text = "Held out (the " + options.prediction.law + " law of `--law`";
  if (options.prediction.seed_mean) text += ", on seed means";
  text += "):";
  for (size_t i = 1; i < holdout.paragraphs.size(); ++i) text += " " + holdout.paragraphs[i];
  if (holdout.paragraphs.size() <= 1) text += " no check could be made.";
  for (const std::string& missing : holdout.missing) text += " Not made: " + missing + ".";
  return text;
}

}  // namespace

std::vector<std::string> StudyFindings(const FitTable& table, const ReportOptions& options,
                                       const ReportSection* prediction_holdout) {
  std::vector<std::string> lines;
  LogLinearFit unseen, seen;
  unseen.n = seen.n = 0;
  lines.push_back(LawFinding(table, options, Aggregate("UC"), &unseen));
  lines.push_back(LawFinding(table, options, Aggregate("SC"), &seen));
  lines.push_back(LawFinding(table, options, Aggregate("ST"), nullptr));
  if (unseen.n > 0 && seen.n > 0) {
    const double ratio_unseen = unseen.coef(1) / unseen.coef(2);
    const double ratio_seen = seen.coef(1) / seen.coef(2);
    lines.push_back(std::string("Parameters vs samples: b_N/b_D is ") +
                    ReportNumber(ratio_unseen, 2) + " for unseen captioning and " +
                    ReportNumber(ratio_seen, 2) + " for seen captioning: parameters matter " +
                    (ratio_unseen > ratio_seen ? "more" : "less") +
                    " relative to samples for the unseen pairs than for the seen ones" +
                    (Significant(unseen) && Significant(seen)
                         ? std::string()
                         : std::string("; but an exponent is not significant (p > 0.05) with "
                                       "these few runs, so this is no evidence yet")));
  }
  lines.push_back(PrefixFinding(table, options));
  lines.push_back(prediction_holdout != nullptr ? PredictionFinding(*prediction_holdout, options)
                                                : HoldoutFinding(table, options));
  return lines;
}

}  // namespace florenz
