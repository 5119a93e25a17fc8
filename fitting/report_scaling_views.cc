// The scaling-law views of the study report (see report_scaling_views.h): each reads the runs of
// an aggregate cross-entropy, fits the paper's law and draws one figure per aggregate. A fit
// that cannot be made (too few runs, one sample budget) is reported in the section, not thrown.
#include "fitting/report_scaling_views.h"

#include <algorithm>
#include <cmath>

#include "experiments/errors.h"
#include "fitting/chart.h"
#include "fitting/loglinear_fit.h"
#include "fitting/pareto.h"
#include "fitting/report_data.h"

namespace florenz {
namespace {

// Palette entries for model sizes; vermillion (1) is the fitted law, black (6) the frontier.
constexpr int kSizeColours[] = {0, 2, 3, 4, 5, 7};
constexpr int kFitColour = 1, kFrontierColour = 6, kBandColour = 5;
constexpr const char* kCrossEntropyLabel = "cross-entropy (nats/token, log scale)";

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
    ChartSeries series;
    series.label = sizes[s].second + " (N = " + ReportCount(sizes[s].first) + ")";
    series.colour = SizeColour(s);
    for (int i = 0; i < runs.size(); ++i) {
      if (runs.n[i] != sizes[s].first) continue;
      series.x.push_back(x[i]);
      series.y.push_back(runs.value[i]);
    }
    if (!series.x.empty()) chart->series.push_back(series);
  }
}

void NoteMissingRuns(const AggregateMetric& m, const MetricRuns& runs, ReportSection* section) {
  if (runs.missing > 0) {
    section->missing.push_back(m.tag + ": " + std::to_string(runs.missing) +
                               " completed run(s) have no value of final/" + m.metric +
                               " and are left out");
  }
}

}  // namespace

const std::vector<AggregateMetric>& AggregateMetrics() {
  static const std::vector<AggregateMetric> metrics = {
      {"unseen_caption", "Unseen captioning (UC)", "UC"},
      {"seen_translate", "Seen translation (ST)", "ST"},
      {"seen_caption", "Seen captioning (SC)", "SC"},
  };
  return metrics;
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
      "on the frontier runs, as in the Florenz paper's Figure 1.");
  ReportTable fits;
  fits.caption =
      "Compute law on the Pareto frontier, " + ReportPercent(options.confidence) + " t intervals";
  fits.header = {"pairs", "runs", "frontier runs", "a0", "a1", "interval of a1", "p (a1)", "R²"};
  for (const AggregateMetric& m : AggregateMetrics()) {
    const MetricRuns runs = SelectMetricRuns(table, m.metric, options.compute);
    if (runs.empty()) {
      section.missing.push_back(m.name + ": " + runs.absent);
      continue;
    }
    NoteMissingRuns(m, runs, &section);
    const std::vector<int> frontier = ParetoFrontier(runs.c, runs.value);
    Chart chart;
    chart.title = m.name + ": cross-entropy vs compute";
    chart.x_label = ComputeLabel(options.compute);
    chart.y_label = kCrossEntropyLabel;
    chart.log_x = chart.log_y = true;
    chart.width = options.width, chart.height = options.height;
    AddSizeSeries(runs, runs.c, &chart);
    ChartSeries line;
    line.style = ChartStyle::kLine;
    line.label = "Pareto frontier";
    line.colour = kFrontierColour;
    line.dashed = true;
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
      ChartSeries curve;
      curve.style = ChartStyle::kLine;
      curve.label = "compute law, a1 = " + ReportNumber(fit.b, 2);
      curve.colour = kFitColour;
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
    AddReportFigure(chart, "compute_" + m.metric + ".png",
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
      ReportPercent(options.confidence) + "; p tests b = 0 (two-sided).");
  ReportTable coefficients;
  coefficients.caption = "Coefficients of the log-linear law";
  coefficients.header = {
      "pairs",    "runs", "b0", "b_N (parameters)", "interval", "p", "b_D (samples)",
      "interval", "p",    "R²", "b_N / b_D"};
  for (const AggregateMetric& m : AggregateMetrics()) {
    const MetricRuns runs = SelectMetricRuns(table, m.metric, options.compute);
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
    const MetricRuns runs = SelectMetricRuns(table, m.metric, options.compute);
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
    Chart chart;
    chart.title = m.name + ": extrapolation at D = " + ReportCount(d) + " samples";
    chart.x_label = "N: model parameters (log scale)";
    chart.y_label = kCrossEntropyLabel;
    chart.log_x = chart.log_y = true;
    chart.width = options.width, chart.height = options.height;
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
    AddReportFigure(chart, "extrapolation_" + m.metric + ".png",
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

}  // namespace florenz
