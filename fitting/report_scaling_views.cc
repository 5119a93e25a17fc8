// The scaling-law views of the study report (see report_scaling_views.h): each reads the runs of
// an aggregate cross-entropy, fits the paper's law and draws one figure per aggregate. A fit
// that cannot be made (too few runs, one sample budget) is reported in the section, not thrown.
#include "fitting/report_scaling_views.h"

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "fitting/chart.h"
#include "fitting/loglinear_fit.h"
#include "fitting/pareto.h"
#include "fitting/report_data.h"
#include "fitting/report_prediction.h"

namespace florenz {
namespace {

// Palette entries for model sizes; vermillion (1) is the fitted law, black (6) the frontier.
constexpr int kSizeColours[] = {0, 2, 3, 4, 5, 7};
constexpr int kFitColour = 1, kFrontierColour = 6, kBandColour = 5;
constexpr const char* kCrossEntropyLabel = "cross-entropy (nats/token, log scale)";
constexpr const char* kExclPrefixNote =
    "CE is the token mean after the target language's decoder prefix (final/<kind>_excl_prefix: "
    "the fixed \"the image shows\" phrase says nothing about the image), the paper's headline "
    "measure; results written before florenz recorded it fall back to the mean over every token.";

int SizeColour(size_t rank) { return kSizeColours[rank % std::size(kSizeColours)]; }

std::string ComputeLabel(ComputeUnit unit) {
  return unit == ComputeUnit::kFlops ? "C: training compute (FLOPs, log scale)"
                                     : "C: forward compute (MACs, log scale)";
}

std::string ComputeCaption(ComputeUnit unit) {
  return unit == ComputeUnit::kFlops
             ? "training FLOPs = 3 x forward FLOPs per sample x samples seen"
             : "forward multiply-accumulates per sample x samples seen, as the paper counts it";
}

// n log-spaced values from lo to hi.
std::vector<double> LogSpace(double lo, double hi, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) {
    v.push_back(std::pow(10.0, std::log10(lo) + i * (std::log10(hi) - std::log10(lo)) / (n - 1)));
  }
  return v;
}

// One points series per model size, in N order, labelled "size (N=…)".
void AddSizeSeries(const MetricRuns& runs, const std::vector<double>& x, Chart* chart) {
  const auto sizes = runs.Sizes();
  for (size_t s = 0; s < sizes.size(); ++s) {
    ChartSeries series =
        PointSeries(sizes[s].second + " (N = " + ReportCount(sizes[s].first) + ")", SizeColour(s));
    for (int i = 0; i < runs.size(); ++i) {
      if (runs.n[i] != sizes[s].first) continue;
      series.x.push_back(x[i]);
      series.y.push_back(runs.value[i]);
    }
    if (!series.x.empty()) chart->series.push_back(series);
  }
}

// Residuals of the log-linear law, log10 observed − log10 fitted, against N, one colour per
// sample budget: a law that fits leaves no trend in N or D.
void AddResidualsFigure(const AggregateMetric& m, const MetricRuns& runs, const LogLinearFit& fit,
                        const ReportContext& context, ReportSection* section) {
  Chart chart = ReportChart(context, m.name + ": residuals of the log-linear law", kModelSizeAxis,
                            "log10 CE - log10 law", ReportAxes::kLogX);
  const std::vector<double> budgets = runs.Budgets();
  for (size_t b = 0; b < budgets.size(); ++b) {
    ChartSeries points = PointSeries("D = " + ReportCount(budgets[b]), SizeColour(b));
    for (int i = 0; i < runs.size(); ++i) {
      if (runs.d[i] != budgets[b]) continue;
      points.x.push_back(runs.n[i]);
      points.y.push_back(std::log10(runs.value[i]) -
                         std::log10(fit.Predict({runs.n[i], runs.d[i]})));
    }
    chart.series.push_back(points);
  }
  ChartSeries zero = LineSeries("", kChartGrey, true);
  const auto [n_lo, n_hi] = std::minmax_element(runs.n.begin(), runs.n.end());
  zero.x = {*n_lo, *n_hi};
  zero.y = {0, 0};
  chart.series.push_back(zero);
  AddReportFigure(chart, "residuals_" + m.fallback + ".png",
                  m.name + ": residual of every run from the log-linear law (log10 units; " +
                      ReportNumber(std::pow(10.0, fit.sigma), 3) +
                      "x is one residual standard error), one colour per sample budget.",
                  context, section);
}

void NoteMissingRuns(const AggregateMetric& m, const MetricRuns& runs, ReportSection* section) {
  if (runs.missing > 0) {
    section->missing.push_back(m.tag + ": " + std::to_string(runs.missing) +
                               " completed run(s) have no value of final/" + runs.metric +
                               " and are left out");
  }
}

}  // namespace

const std::vector<AggregateMetric>& AggregateMetrics() {
  static const std::vector<AggregateMetric> metrics = {
      {"unseen_caption_excl_prefix", "unseen_caption", "Unseen captioning (UC)", "UC"},
      {"seen_translate_excl_prefix", "seen_translate", "Seen translation (ST)", "ST"},
      {"seen_caption_excl_prefix", "seen_caption", "Seen captioning (SC)", "SC"},
  };
  return metrics;
}

MetricRuns SelectAggregateRuns(const FitTable& table, const AggregateMetric& m, ComputeUnit unit) {
  MetricRuns runs = SelectMetricRuns(table, m.metric, unit);
  if (runs.empty()) {
    MetricRuns fallback = SelectMetricRuns(table, m.fallback, unit);
    if (!fallback.empty()) return fallback;
  }
  return runs;
}

ReportSection ComputeFrontierSection(const FitTable& table, const ReportContext& context) {
  const ReportOptions& options = context.options;
  ReportSection section;
  section.id = "compute";
  section.title = "Cross-entropy vs compute, with the Pareto frontier";
  section.paragraphs.push_back(
      "Each point is a completed run: its final token-mean cross-entropy on the held-out pairs "
      "of one kind against its compute C. The frontier (dashed) holds the runs that no cheaper "
      "run beats; the compute law log10 CE = a0 + a1 log10 C is fitted by ordinary least squares "
      "on the frontier runs, as in the Florenz paper's Figure 1. " +
      std::string(kExclPrefixNote));
  ReportTable fits;
  fits.caption =
      "Compute law on the Pareto frontier, " + ReportPercent(options.confidence) + " t intervals";
  fits.header = {"pairs", "runs", "frontier runs", "a0", "a1", "interval of a1", "p (a1)", "R²"};
  for (const AggregateMetric& m : AggregateMetrics()) {
    const MetricRuns runs = SelectAggregateRuns(table, m, options.compute);
    if (runs.empty()) {
      section.missing.push_back(m.name + ": " + runs.absent);
      continue;
    }
    NoteMissingRuns(m, runs, &section);
    const std::vector<int> frontier = ParetoFrontier(runs.c, runs.value);
    Chart chart =
        ReportChart(context, m.name + ": cross-entropy vs compute", ComputeLabel(options.compute),
                    kCrossEntropyLabel, ReportAxes::kLogLog);
    AddSizeSeries(runs, runs.c, &chart);
    ChartSeries line = LineSeries("Pareto frontier", kFrontierColour, true);
    for (const int i : frontier) {
      line.x.push_back(runs.c[i]);
      line.y.push_back(runs.value[i]);
    }
    chart.series.push_back(line);
    try {
      ComputeLawOptions law;
      law.loglinear.confidence = options.confidence;
      const ComputeLawFit fit = FitComputeLaw(runs.ToFitData({"C"}, table.source), law);
      const LogLinearFit& ols = fit.loglinear;
      ChartSeries curve = LineSeries("compute law, a1 = " + ReportNumber(fit.b, 2), kFitColour);
      const auto [lo, hi] = std::minmax_element(runs.c.begin(), runs.c.end());
      for (const double c : LogSpace(*lo, *hi, 50)) {
        curve.x.push_back(c);
        curve.y.push_back(fit.Predict(c));
      }
      chart.series.push_back(curve);
      fits.rows.push_back({m.name, std::to_string(runs.size()), std::to_string(frontier.size()),
                           ReportNumber(ols.coef(0)), ReportNumber(ols.coef(1)),
                           ReportInterval(ols.ci_low(1), ols.ci_high(1)), ReportPValue(ols.p(1)),
                           ReportNumber(ols.r2)});
    } catch (const ConfigError& e) {
      section.missing.push_back(m.tag + ": the compute law could not be fitted on the " +
                                std::to_string(frontier.size()) + " frontier runs: " + e.what());
    }
    AddReportFigure(chart, "compute_" + m.fallback + ".png",
                    m.name + ": final cross-entropy of every completed run against its compute (" +
                        ComputeCaption(options.compute) +
                        "), coloured by model size, with the Pareto frontier and the compute law.",
                    context, &section);
  }
  if (!fits.rows.empty()) section.tables.push_back(fits);
  return section;
}

ReportSection LogLinearTableSection(const FitTable& table, const ReportContext& context) {
  const ReportOptions& options = context.options;
  ReportSection section;
  section.id = "loglinear";
  section.title = "Log-linear law in parameters and samples (the paper's Table 3)";
  section.paragraphs.push_back(
      "log10 CE = b0 + b_N log10 N + b_D log10 D, fitted by ordinary least squares over the "
      "completed runs; N is the model size in parameters (config/non_embedding_params, else "
      "config/params) and D the samples seen in training. Intervals are Student-t at " +
      ReportPercent(options.confidence) + "; p tests b = 0 (two-sided). " + kExclPrefixNote);
  ReportTable coefficients;
  coefficients.caption = "Coefficients of the log-linear law";
  coefficients.header = {
      "pairs",    "runs", "b0", "b_N (parameters)", "interval", "p", "b_D (samples)",
      "interval", "p",    "R²", "b_N / b_D"};
  for (const AggregateMetric& m : AggregateMetrics()) {
    const MetricRuns runs = SelectAggregateRuns(table, m, options.compute);
    if (runs.empty()) {
      section.missing.push_back(m.name + ": " + runs.absent);
      continue;
    }
    NoteMissingRuns(m, runs, &section);
    try {
      LogLinearOptions ols_options;
      ols_options.confidence = options.confidence;
      const LogLinearFit fit = FitLogLinear(runs.ToFitData({"N", "D"}, table.source), ols_options);
      coefficients.rows.push_back(
          {m.name, std::to_string(fit.n), ReportNumber(fit.coef(0)), ReportNumber(fit.coef(1)),
           ReportInterval(fit.ci_low(1), fit.ci_high(1)), ReportPValue(fit.p(1)),
           ReportNumber(fit.coef(2)), ReportInterval(fit.ci_low(2), fit.ci_high(2)),
           ReportPValue(fit.p(2)), ReportNumber(fit.r2),
           ReportNumber(fit.coef(1) / fit.coef(2), 2)});
      AddResidualsFigure(m, runs, fit, context, &section);
    } catch (const ConfigError& e) {
      section.missing.push_back(m.tag + ": the log-linear law could not be fitted: " + e.what());
    }
  }
  if (!coefficients.rows.empty()) {
    section.tables.push_back(coefficients);
    section.paragraphs.push_back(
        "b_N / b_D compares the two exponents: in the paper, model size matters about four times "
        "more than seen samples for unseen captioning, while both matter for seen pairs.");
  }
  return section;
}

ReportSection ExtrapolationSection(const FitTable& table, const ReportContext& context) {
  const ReportOptions& options = context.options;
  const std::string level = ReportPercent(options.confidence);
  ReportSection section;
  section.id = "extrapolation";
  section.title = "Extrapolation to larger models at fixed samples";
  section.paragraphs.push_back(
      "The log-linear law of the table above, evaluated at the largest sample budget of the grid "
      "and extended to larger models. The confidence interval (" +
      level +
      ") bounds the law's mean; the prediction interval bounds a new run of that size, and is "
      "the honest error bar of a forecast.");
  const double max_factor =
      *std::max_element(options.extrapolate.begin(), options.extrapolate.end());
  for (const AggregateMetric& m : AggregateMetrics()) {
    const MetricRuns runs = SelectAggregateRuns(table, m, options.compute);
    if (runs.empty()) {
      section.missing.push_back(m.name + ": " + runs.absent);
      continue;
    }
    LogLinearFit fit;
    try {
      LogLinearOptions ols_options;
      ols_options.confidence = options.confidence;
      fit = FitLogLinear(runs.ToFitData({"N", "D"}, table.source), ols_options);
    } catch (const ConfigError& e) {
      section.missing.push_back(m.tag +
                                ": no extrapolation, the log-linear law could not be "
                                "fitted: " +
                                e.what());
      continue;
    }
    const double d = *std::max_element(runs.d.begin(), runs.d.end());
    const auto [n_lo, n_hi] = std::minmax_element(runs.n.begin(), runs.n.end());
    Chart chart =
        ReportChart(context, m.name + ": extrapolation at D = " + ReportCount(d) + " samples",
                    kModelSizeAxis, kCrossEntropyLabel, ReportAxes::kLogLog);
    ChartSeries pi, ci, mean, points;
    pi.style = ci.style = ChartStyle::kBand;
    pi.label = "prediction interval (" + level + ")";
    pi.colour = kBandColour;
    ci.label = "confidence interval (" + level + ")";
    ci.colour = kFitColour;
    mean.style = ChartStyle::kLine;
    mean.label = "log-linear law";
    mean.colour = kFitColour;
    for (const double n : LogSpace(*n_lo, *n_hi * max_factor, 80)) {
      const LogLinearPrediction p = PredictLogLinear(fit, {n, d});
      for (ChartSeries* s : {&pi, &ci, &mean}) s->x.push_back(n);
      pi.y_low.push_back(p.pi_low), pi.y_high.push_back(p.pi_high);
      ci.y_low.push_back(p.ci_low), ci.y_high.push_back(p.ci_high);
      mean.y.push_back(p.value);
    }
    points.label = "runs at D = " + ReportCount(d);
    points.colour = kFrontierColour;
    for (int i = 0; i < runs.size(); ++i) {
      if (runs.d[i] != d) continue;
      points.x.push_back(runs.n[i]);
      points.y.push_back(runs.value[i]);
    }
    chart.series = {pi, ci, mean, points};
    AddReportFigure(chart, "extrapolation_" + m.fallback + ".png",
                    m.name + ": the law at D = " + ReportNumber(d) +
                        " from the smallest trained model "
                        "to " +
                        ReportNumber(max_factor) + "x the largest, with its intervals.",
                    context, &section);
    ReportTable predictions;
    predictions.caption = m.name + ": predicted cross-entropy at D = " + ReportNumber(d);
    predictions.header = {"N (parameters)", "x largest trained", "predicted CE",
                          level + " confidence interval", level + " prediction interval"};
    std::vector<double> factors = {1.0};
    factors.insert(factors.end(), options.extrapolate.begin(), options.extrapolate.end());
    for (const double factor : factors) {
      const double n = *n_hi * factor;
      const LogLinearPrediction p = PredictLogLinear(fit, {n, d});
      predictions.rows.push_back({ReportNumber(n), ReportNumber(factor), ReportNumber(p.value, 4),
                                  ReportInterval(p.ci_low, p.ci_high, 4),
                                  ReportInterval(p.pi_low, p.pi_high, 4)});
    }
    section.tables.push_back(predictions);
  }
  return section;
}

namespace {

// Fits the log-linear law on law.fitted and predicts law.held; sets law.error when the law
// cannot be fitted (`what` names the fitted runs in the message).
void FitAndPredict(HeldOutLaw& law, const std::string& what, const std::string& source,
                   double confidence) {
  try {
    LogLinearOptions options;
    options.confidence = confidence;
    law.fit = FitLogLinear(law.fitted.ToFitData({"N", "D"}, source), options);
  } catch (const ConfigError& e) {
    law.error = "the law on the " + what + " could not be fitted: " + e.what();
    return;
  }
  for (int i = 0; i < law.held.size(); ++i) {
    law.predictions.push_back(PredictLogLinear(law.fit, {law.held.n[i], law.held.d[i]}));
  }
}

}  // namespace

HeldOutLaw FitWithoutLargestSize(const MetricRuns& runs, const std::string& source,
                                 double confidence) {
  HeldOutLaw law;
  const auto sizes = runs.Sizes();
  if (sizes.size() < 3) {
    law.error = "holding out the largest of " + std::to_string(sizes.size()) +
                " model size(s) leaves too few sizes to fit (needs 3)";
    return law;
  }
  const double held_n = sizes.back().first;
  law.held_size = sizes.back().second;
  law.fitted_sizes = static_cast<int>(sizes.size()) - 1;
  law.fitted = runs.Where([&](int i) { return runs.n[i] != held_n; });
  law.held = runs.Where([&](int i) { return runs.n[i] == held_n; });
  FitAndPredict(law, "smaller sizes", source, confidence);
  return law;
}

double HeldOutLaw::MeanAbsoluteError() const {
  double sum = 0;
  for (int i = 0; i < held.size(); ++i) sum += std::abs(Error(i));
  return held.size() > 0 ? sum / held.size() : NAN;
}

int HeldOutLaw::InsideCount() const {
  int inside = 0;
  for (int i = 0; i < held.size(); ++i) inside += Inside(i);
  return inside;
}

HeldOutLaw FitOnSmallestBudgets(const MetricRuns& runs, int budgets, const std::string& source,
                                double confidence) {
  HeldOutLaw law;
  const std::vector<double> all = runs.Budgets();
  if (static_cast<int>(all.size()) < budgets + 1) {
    law.error = "fitting on the " + std::to_string(budgets) +
                " smallest budgets and predicting the largest needs " +
                std::to_string(budgets + 1) + " budgets; the runs have " +
                std::to_string(all.size());
    return law;
  }
  const double largest = all.back(), cut = all[budgets - 1];
  law.held_size = "D = " + ReportCount(largest);
  law.fitted_sizes = static_cast<int>(runs.Sizes().size());
  law.fitted = runs.Where([&](int i) { return runs.d[i] <= cut; });
  law.held = runs.Where([&](int i) { return runs.d[i] == largest; });
  FitAndPredict(law, "smallest budgets", source, confidence);
  return law;
}

ReportSection HoldoutSection(const FitTable& table, const ReportContext& context) {
  const ReportOptions& options = context.options;
  if (!options.prediction.law.empty()) return PredictionHoldoutSection(table, context);
  const std::string level = ReportPercent(options.confidence);
  ReportSection section;
  section.id = "holdout";
  section.title = "Held out: predicting the largest model from the smaller ones";
  section.paragraphs.push_back(
      "The test a scaling law must pass: the log-linear law is fitted on every model size but "
      "the largest, then asked for the largest size's cross-entropy at each sample budget. The "
      "table gives the error of each prediction and whether the measured value falls inside the "
      "law's " +
      level + " prediction interval (the interval a forecast would be quoted with).");
  ReportTable errors;
  errors.caption = "Predictions for the held-out largest size";
  errors.header = {"pairs",
                   "size",
                   "D (samples)",
                   "measured CE",
                   "predicted CE",
                   "error",
                   level + " prediction interval",
                   "inside"};
  for (const AggregateMetric& m : AggregateMetrics()) {
    const MetricRuns runs = SelectAggregateRuns(table, m, options.compute);
    if (runs.empty()) {
      section.missing.push_back(m.name + ": " + runs.absent);
      continue;
    }
    const HeldOutLaw law = FitWithoutLargestSize(runs, table.source, options.confidence);
    if (!law.error.empty()) {
      section.missing.push_back(m.tag + ": " + law.error);
      continue;
    }
    const MetricRuns& fitted = law.fitted;
    const MetricRuns& held = law.held;
    int inside = 0;
    for (int i = 0; i < held.size(); ++i) {
      const LogLinearPrediction& p = law.predictions[i];
      inside += law.Inside(i);
      errors.rows.push_back({m.name, held.size_name[i], ReportCount(held.d[i]),
                             ReportNumber(held.value[i], 4), ReportNumber(p.value, 4),
                             ReportNumber(100.0 * law.Error(i), 2) + "%",
                             ReportInterval(p.pi_low, p.pi_high, 4), law.Inside(i) ? "yes" : "no"});
    }
    section.paragraphs.push_back(
        m.tag + ": fitted on " + std::to_string(fitted.size()) + " runs of " +
        std::to_string(law.fitted_sizes) + " sizes (b_N = " + ReportNumber(law.fit.coef(1)) +
        ", b_D = " + ReportNumber(law.fit.coef(2)) + "); mean absolute error " +
        ReportNumber(100 * law.MeanAbsoluteError(), 2) + "%, " + std::to_string(inside) + " of " +
        std::to_string(held.size()) + " held-out runs inside the prediction interval.");
    if (m.tag != "UC") continue;
    // The figure for the headline: the law per budget from the smallest to the held-out size,
    // the fitted runs, the held-out runs, and the prediction interval at the largest budget.
    Chart chart = ReportChart(context, m.name + ": law fitted without the largest size",
                              kModelSizeAxis, kCrossEntropyLabel, ReportAxes::kLogLog);
    const std::vector<double> budgets = runs.Budgets();
    const auto sizes = runs.Sizes();
    const double n_lo = sizes.front().first, held_n = sizes.back().first;
    ChartSeries band =
        BandSeries(level + " prediction, D = " + ReportCount(budgets.back()), kBandColour);
    for (const double n : LogSpace(n_lo, held_n * 1.5, 60)) {
      const LogLinearPrediction p = PredictLogLinear(law.fit, {n, budgets.back()});
      band.x.push_back(n), band.y_low.push_back(p.pi_low), band.y_high.push_back(p.pi_high);
    }
    chart.series.push_back(band);
    for (size_t b = 0; b < budgets.size(); ++b) {
      ChartSeries line, points;
      line.style = ChartStyle::kLine;
      line.colour = points.colour = SizeColour(b);
      line.label = "law, D = " + ReportCount(budgets[b]);
      for (const double n : LogSpace(n_lo, held_n * 1.5, 40)) {
        line.x.push_back(n), line.y.push_back(law.fit.Predict({n, budgets[b]}));
      }
      for (int i = 0; i < fitted.size(); ++i) {
        if (fitted.d[i] != budgets[b]) continue;
        points.x.push_back(fitted.n[i]), points.y.push_back(fitted.value[i]);
      }
      chart.series.push_back(line);
      chart.series.push_back(points);
    }
    ChartSeries truth = PointSeries("held out: " + law.held_size + " (measured)", kFrontierColour);
    truth.x = held.n, truth.y = held.value;
    chart.series.push_back(truth);
    AddReportFigure(chart, "holdout_" + m.fallback + ".png",
                    m.name +
                        ": the log-linear law fitted on the smaller sizes (one line per sample "
                        "budget, points: the runs it was fitted on), extended to the held-out "
                        "largest size (black points: what it measured).",
                    context, &section);
  }
  if (!errors.rows.empty()) section.tables.push_back(errors);

  // Along samples: the three smallest budgets predict the largest.
  constexpr int kFittedBudgets = 3;
  ReportTable budget_errors;
  budget_errors.caption = "Predictions for the largest budget from the " +
                          std::to_string(kFittedBudgets) + " smallest budgets";
  budget_errors.header = errors.header;
  budget_errors.header[1] = "size";
  for (const AggregateMetric& m : AggregateMetrics()) {
    const MetricRuns runs = SelectAggregateRuns(table, m, options.compute);
    if (runs.empty()) continue;
    const HeldOutLaw law =
        FitOnSmallestBudgets(runs, kFittedBudgets, table.source, options.confidence);
    if (!law.error.empty()) {
      section.missing.push_back(m.tag + " along samples: " + law.error);
      continue;
    }
    for (int i = 0; i < law.held.size(); ++i) {
      const LogLinearPrediction& p = law.predictions[i];
      budget_errors.rows.push_back({m.name, law.held.size_name[i], ReportCount(law.held.d[i]),
                                    ReportNumber(law.held.value[i], 4), ReportNumber(p.value, 4),
                                    ReportNumber(100.0 * law.Error(i), 2) + "%",
                                    ReportInterval(p.pi_low, p.pi_high, 4),
                                    law.Inside(i) ? "yes" : "no"});
    }
    section.paragraphs.push_back(
        m.tag + " along samples: fitted on the " + std::to_string(law.fitted.size()) +
        " runs at the " + std::to_string(kFittedBudgets) + " smallest budgets, predicting " +
        law.held_size + ": mean absolute error " + ReportNumber(100 * law.MeanAbsoluteError(), 2) +
        "%, " + std::to_string(law.InsideCount()) + " of " + std::to_string(law.held.size()) +
        " inside the prediction interval.");
  }
  if (!budget_errors.rows.empty()) section.tables.push_back(budget_errors);
  return section;
}

}  // namespace florenz
