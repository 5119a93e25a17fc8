// The figure of a fit (see fit_plot.h), built as a Chart and drawn by DrawChart, so it shares
// the report's axes, palette, tick labels and legend. Sizes take the palette's colours in order
// (spread over them when there are more sizes than colours); the frontier is a dashed black
// line, the band grey.
#include "fitting/fit_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "core/errors.h"
#include "fitting/chart.h"

namespace florenz {
namespace {

// Palette entries for sizes or budgets: every colour but black (the frontier, the minima) and
// grey (the band).
constexpr int kGroupColours[] = {0, 1, 2, 3, 4, 5, 7};
constexpr int kGroupColourCount = sizeof(kGroupColours) / sizeof(kGroupColours[0]);
constexpr int kBlack = 6;
constexpr int kCurveSteps = 120;

std::string AxisLabel(const std::string& name) {
  if (name == "N") return "N (parameters)";
  if (name == "D") return "D (samples seen)";
  if (name == "C") return "C (training compute)";
  return name;
}

std::string Short(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g", v);
  return buffer;
}

// What the figure shows: the horizontal variable, the variable whose values colour the points
// (sizes; budgets for isoFLOP), and the distinct values of the latter.
struct Layout {
  bool isoflop = false;
  int axis = 0;    // the variable on x
  int group = -1;  // the colouring variable, -1 for none
  std::vector<double> groups;
  bool curves = false;  // the law is a function of (axis[, group]) alone: draw it per group
  double x_lo = 0, x_hi_data = 0, x_hi = 0;

  int GroupOf(const FitData& data, int i) const {
    if (group < 0) return 0;
    return static_cast<int>(std::lower_bound(groups.begin(), groups.end(), data.x[group][i]) -
                            groups.begin());
  }
  int ColourOf(int g) const {
    const int count = static_cast<int>(groups.size());
    return kGroupColours[count <= 1 ? 0 : g * (kGroupColourCount - 1) / (count - 1)];
  }
};

Layout LayoutOf(const FitData& data, const FitReport& report, const FitPlotOptions& options) {
  Layout l;
  l.isoflop = report.law == Law::kIsoflop;
  // The horizontal axis: D if fitted, else C, else the last variable; colours: N when present.
  l.axis = data.VariableIndex("D");
  if (l.axis < 0) l.axis = data.VariableIndex("C");
  if (l.axis < 0 || l.isoflop) l.axis = l.isoflop ? data.VariableIndex("N") : data.variables() - 1;
  if (l.axis < 0) l.axis = 0;
  l.group = l.isoflop ? data.VariableIndex("C") : data.VariableIndex("N");
  if (l.group == l.axis) l.group = -1;
  l.curves = !l.isoflop && report.evaluate && data.variables() == (l.group >= 0 ? 2 : 1);
  std::set<double> values;
  if (l.group >= 0) values.insert(data.x[l.group].begin(), data.x[l.group].end());
  if (values.empty()) values.insert(0.0);
  l.groups.assign(values.begin(), values.end());
  const auto& xs = data.x[l.axis];
  l.x_lo = *std::min_element(xs.begin(), xs.end());
  l.x_hi_data = *std::max_element(xs.begin(), xs.end());
  l.x_hi = l.x_hi_data * std::pow(10.0, l.curves ? options.extrapolate_decades : 0.1);
  return l;
}

// The law per group over [x_lo, x_hi] (log-spaced), and the interval band of the largest group
// beyond the data: the extrapolation.
void AddLawCurves(const FitData& data, const FitReport& report, const Layout& l, Chart* chart) {
  ChartSeries band = BandSeries("", kChartGrey);
  for (size_t g = 0; g < l.groups.size(); ++g) {
    ChartSeries curve = LineSeries("", l.ColourOf(static_cast<int>(g)));
    for (int s = 0; s <= kCurveSteps; ++s) {
      const double lx =
          std::log10(l.x_lo) + s * (std::log10(l.x_hi) - std::log10(l.x_lo)) / kCurveSteps;
      std::vector<double> at(data.variables());
      at[l.axis] = std::pow(10.0, lx);
      if (l.group >= 0) at[l.group] = l.groups[g];
      const double y = report.evaluate(at);
      if (!(y > 0) || !std::isfinite(y)) continue;
      curve.x.push_back(at[l.axis]);
      curve.y.push_back(y);
      if (g + 1 == l.groups.size() && at[l.axis] >= l.x_hi_data && report.band) {
        const auto [lo, hi] = report.band(at);
        if (lo > 0 && hi > 0 && std::isfinite(lo) && std::isfinite(hi)) {
          band.x.push_back(at[l.axis]);
          band.y_low.push_back(lo);
          band.y_high.push_back(hi);
        }
      }
    }
    chart->series.push_back(std::move(curve));
  }
  if (band.x.size() >= 2) {
    char label[64];
    std::snprintf(label, sizeof(label), "%.4g%% CI band (%s)", 100 * report.confidence,
                  report.interval_kind == "bootstrap" ? "bootstrap" : "t");
    band.label = label;
    chart->series.insert(chart->series.begin(), std::move(band));
  }
}

// isoFLOP: each budget's parabola over the sizes trained at it, in that budget's colour, and
// its minimum (N_opt) marked.
void AddIsoflopParabolas(const FitData& data, const FitReport& report, const Layout& l,
                         Chart* chart) {
  if (l.group < 0) return;
  ChartSeries minima = PointSeries("minimum (N_opt)", kBlack);
  const auto& xs = data.x[l.axis];
  for (const IsoflopBudget& b : report.isoflop_budgets) {
    size_t g = 0;  // the budget's group: the nearest distinct C (budgets average within 1e-6)
    for (size_t k = 1; k < l.groups.size(); ++k) {
      if (std::abs(std::log(l.groups[k] / b.compute)) <
          std::abs(std::log(l.groups[g] / b.compute))) {
        g = k;
      }
    }
    double n_lo = HUGE_VAL, n_hi = 0;
    for (int i = 0; i < data.size(); ++i) {
      if (static_cast<size_t>(l.GroupOf(data, i)) != g) continue;
      n_lo = std::min(n_lo, xs[i]);
      n_hi = std::max(n_hi, xs[i]);
    }
    if (!(n_lo < n_hi)) continue;
    ChartSeries parabola = LineSeries("", l.ColourOf(static_cast<int>(g)));
    for (int s = 0; s <= kCurveSteps; ++s) {
      const double ln_n = std::log(n_lo) + s * (std::log(n_hi) - std::log(n_lo)) / kCurveSteps;
      const double y = std::exp(b.c0 + b.c1 * ln_n + b.c2 * ln_n * ln_n);
      if (!(y > 0) || !std::isfinite(y)) continue;
      parabola.x.push_back(std::exp(ln_n));
      parabola.y.push_back(y);
    }
    chart->series.push_back(std::move(parabola));
    if (b.c2 > 0 && b.n_opt >= n_lo && b.n_opt <= n_hi) {
      minima.x.push_back(b.n_opt);
      minima.y.push_back(b.loss_at_opt);
    }
  }
  if (!minima.x.empty()) chart->series.push_back(std::move(minima));
}

// The Pareto frontier of the points in (axis, y): each point better than every one left of it.
ChartSeries Frontier(const FitData& data, const Layout& l) {
  const auto& xs = data.x[l.axis];
  std::vector<int> order(data.size());
  for (int i = 0; i < data.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int a, int b) { return xs[a] < xs[b]; });
  ChartSeries frontier = LineSeries("Pareto frontier", kBlack, true);
  double best = HUGE_VAL;
  for (const int i : order) {
    if (data.y[i] < best) {
      best = data.y[i];
      frontier.x.push_back(xs[i]);
      frontier.y.push_back(data.y[i]);
    }
  }
  return frontier;
}

// The points, one series per group; a legend entry per colour (with more groups than colours,
// the first group of each colour names it).
void AddPoints(const FitData& data, const Layout& l, Chart* chart) {
  std::vector<ChartSeries> points(l.groups.size());
  int last_colour = -1;
  for (size_t g = 0; g < l.groups.size(); ++g) {
    points[g].style = ChartStyle::kPoints;
    points[g].colour = l.ColourOf(static_cast<int>(g));
    if (points[g].colour != last_colour) {
      points[g].label =
          l.group >= 0 ? data.x_names[l.group] + " = " + Short(l.groups[g]) : std::string("runs");
    }
    last_colour = points[g].colour;
  }
  for (int i = 0; i < data.size(); ++i) {
    ChartSeries& s = points[l.GroupOf(data, i)];
    s.x.push_back(data.x[l.axis][i]);
    s.y.push_back(data.y[i]);
  }
  for (auto& s : points) chart->series.push_back(std::move(s));
}

}  // namespace

Chart FitChart(const FitData& data, const FitReport& report, const FitPlotOptions& options) {
  const Layout l = LayoutOf(data, report, options);
  Chart chart;
  chart.title = ToString(report.law) + ": " + report.formula;
  chart.x_label = AxisLabel(data.x_names[l.axis]);
  chart.y_label = data.y_name + " (log scale)";
  chart.log_x = chart.log_y = true;
  chart.width = options.width;
  chart.height = options.height;
  if (l.curves) AddLawCurves(data, report, l, &chart);
  if (l.isoflop) AddIsoflopParabolas(data, report, l, &chart);
  chart.series.push_back(Frontier(data, l));
  AddPoints(data, l, &chart);
  return chart;
}

void PlotFit(const FitData& data, const FitReport& report, const std::string& file,
             const FitPlotOptions& options) {
  const std::string ext = std::filesystem::path(file).extension().string();
  if (ext != ".png" && ext != ".svg") {
    throw ConfigError(SourceLocation{"--plot", 0, 0},
                      "'" + file + "': the plot file must end in .png or .svg");
  }
  DrawChart(FitChart(data, report, options), file);
}

}  // namespace florenz
