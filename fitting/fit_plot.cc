// PLplot drawing of a fit (see fit_plot.h). cmap0 holds the palette: 0 background, 1 ink,
// 2–9 model sizes (viridis-like), 10 the interval band (translucent), 11 the frontier.
#include "fitting/fit_plot.h"

#include <plplot/plstream.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "core/errors.h"
#include "fitting/plot_output.h"

namespace florenz {
namespace {

constexpr int kInk = 1, kFirstSize = 2, kSizes = 8, kBand = 10, kFrontier = 11;

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

}  // namespace

void PlotFit(const FitData& data, const FitReport& report, const std::string& file,
             const FitPlotOptions& options) {
  const std::string ext = std::filesystem::path(file).extension().string();
  const char* device = ext == ".png" ? "pngcairo" : (ext == ".svg" ? "svgcairo" : nullptr);
  if (device == nullptr) {
    throw ConfigError(SourceLocation{"--plot", 0, 0},
                      "'" + file + "': the plot file must end in .png or .svg");
  }
  const bool isoflop = report.law == "isoflop";
  // The horizontal axis: D if fitted, else C, else the last variable; colours: N when present.
  int axis = data.VariableIndex("D");
  if (axis < 0) axis = data.VariableIndex("C");
  if (axis < 0 || isoflop) axis = isoflop ? data.VariableIndex("N") : data.variables() - 1;
  if (axis < 0) axis = 0;
  int group = isoflop ? data.VariableIndex("C") : data.VariableIndex("N");
  if (group == axis) group = -1;
  // Curves only where the law is a function of (axis[, group]) alone.
  const bool curves = !isoflop && report.evaluate && data.variables() == (group >= 0 ? 2 : 1);

  const auto& xs = data.x[axis];
  const double x_lo = *std::min_element(xs.begin(), xs.end());
  const double x_hi_data = *std::max_element(xs.begin(), xs.end());
  const double x_hi = x_hi_data * std::pow(10.0, curves ? options.extrapolate_decades : 0.1);
  std::set<double> group_values;
  if (group >= 0) group_values.insert(data.x[group].begin(), data.x[group].end());
  if (group_values.empty()) group_values.insert(0.0);
  std::vector<double> groups(group_values.begin(), group_values.end());
  auto group_of = [&](int i) {
    if (group < 0) return 0;
    return static_cast<int>(std::lower_bound(groups.begin(), groups.end(), data.x[group][i]) -
                            groups.begin());
  };
  auto colour_of = [&](int g) {
    const int count = static_cast<int>(groups.size());
    return kFirstSize + (count <= 1 ? 0 : g * (kSizes - 1) / (count - 1));
  };

  // Curves and band, in log10 space.
  constexpr int kSteps = 120;
  std::vector<std::vector<double>> curve_x(groups.size()), curve_y(groups.size());
  std::vector<double> band_x, band_lo, band_hi;
  double y_lo = *std::min_element(data.y.begin(), data.y.end());
  double y_hi = *std::max_element(data.y.begin(), data.y.end());
  if (curves) {
    for (size_t g = 0; g < groups.size(); ++g) {
      for (int s = 0; s <= kSteps; ++s) {
        const double lx = std::log10(x_lo) + s * (std::log10(x_hi) - std::log10(x_lo)) / kSteps;
        std::vector<double> at(data.variables());
        at[axis] = std::pow(10.0, lx);
        if (group >= 0) at[group] = groups[g];
        const double y = report.evaluate(at);
        if (!(y > 0) || !std::isfinite(y)) continue;
        curve_x[g].push_back(lx);
        curve_y[g].push_back(std::log10(y));
        y_lo = std::min(y_lo, y);
        y_hi = std::max(y_hi, y);
        // The band of the largest size, beyond the data: the extrapolation.
        if (g + 1 == groups.size() && at[axis] >= x_hi_data && report.band) {
          const auto [lo, hi] = report.band(at);
          if (lo > 0 && hi > 0 && std::isfinite(lo) && std::isfinite(hi)) {
            band_x.push_back(lx);
            band_lo.push_back(std::log10(lo));
            band_hi.push_back(std::log10(hi));
            y_lo = std::min(y_lo, lo);
            y_hi = std::max(y_hi, hi);
          }
        }
      }
    }
  }
  // isoFLOP: each budget's parabola over the sizes trained at it, in that budget's colour, and
  // its minimum (N_opt) marked.
  std::vector<double> opt_x, opt_y;
  if (isoflop && group >= 0) {
    for (const IsoflopBudget& b : report.isoflop_budgets) {
      size_t g = 0;  // the budget's group: the nearest distinct C (budgets average within 1e-6)
      for (size_t k = 1; k < groups.size(); ++k) {
        if (std::abs(std::log(groups[k] / b.compute)) < std::abs(std::log(groups[g] / b.compute))) {
          g = k;
        }
      }
      double n_lo = HUGE_VAL, n_hi = 0;
      for (int i = 0; i < data.size(); ++i) {
        if (static_cast<size_t>(group_of(i)) != g) continue;
        n_lo = std::min(n_lo, xs[i]);
        n_hi = std::max(n_hi, xs[i]);
      }
      if (!(n_lo < n_hi)) continue;
      for (int s = 0; s <= kSteps; ++s) {
        const double ln_n = std::log(n_lo) + s * (std::log(n_hi) - std::log(n_lo)) / kSteps;
        const double y = std::exp(b.c0 + b.c1 * ln_n + b.c2 * ln_n * ln_n);
        if (!(y > 0) || !std::isfinite(y)) continue;
        curve_x[g].push_back(ln_n / std::log(10.0));
        curve_y[g].push_back(std::log10(y));
        y_lo = std::min(y_lo, y);
        y_hi = std::max(y_hi, y);
      }
      if (b.c2 > 0 && b.n_opt >= n_lo && b.n_opt <= n_hi) {
        opt_x.push_back(std::log10(b.n_opt));
        opt_y.push_back(std::log10(b.loss_at_opt));
      }
    }
  }
  const bool lines =
      curves || !opt_x.empty() ||
      std::any_of(curve_x.begin(), curve_x.end(), [](const auto& c) { return !c.empty(); });
  const double pad = 0.05 * std::max(0.02, std::log10(y_hi) - std::log10(y_lo));

  PreparePlotOutput(file);  // a clear error for an unwritable path; PLplot never exits
  auto pls = std::make_unique<plstream>();
  pls->sdev(device);
  pls->sfnam(file.c_str());
  pls->spage(0, 0, options.width, options.height, 0, 0);
  pls->scmap0n(16);
  pls->scol0(0, 255, 255, 255);
  pls->scol0(kInk, 20, 20, 20);
  const int palette[kSizes][3] = {{68, 1, 84},    {70, 50, 126},  {54, 92, 141},  {39, 127, 142},
                                  {31, 161, 135}, {74, 193, 109}, {160, 218, 57}, {223, 200, 30}};
  for (int i = 0; i < kSizes; ++i) {
    pls->scol0(kFirstSize + i, palette[i][0], palette[i][1], palette[i][2]);
  }
  pls->scol0a(kBand, 230, 97, 1, 0.25);
  pls->scol0(kFrontier, 200, 30, 30);
  pls->init();
  pls->schr(0, 1.1);
  pls->col0(kInk);
  const double wx_lo = std::log10(x_lo) - 0.05, wx_hi = std::log10(x_hi) + 0.05;
  const double wy_lo = std::log10(y_lo) - pad, wy_hi = std::log10(y_hi) + pad;
  pls->adv(0);
  pls->vpor(0.1, 0.7, 0.12, 0.9);  // room on the right for the legend
  pls->wind(wx_lo, wx_hi, wy_lo, wy_hi);
  // x: PLplot's log axis (labels at decades). y: losses rarely span a decade, where PLplot's
  // log axis has no labels, so the ticks are drawn here at round linear values.
  pls->box("bcnstgl", 0, 0, "bc", 0, 0);
  {
    const double span = std::pow(10.0, wy_hi) - std::pow(10.0, wy_lo);
    double step = std::pow(10.0, std::floor(std::log10(span / 5)));
    if (span / step > 25) {
      step *= 5;
    } else if (span / step > 10) {
      step *= 2;
    }
    for (double v = std::ceil(std::pow(10.0, wy_lo) / step) * step; v <= std::pow(10.0, wy_hi);
         v += step) {
      if (v <= 0) continue;
      const double ly = std::log10(v);
      double gx[2] = {wx_lo, wx_hi}, gy[2] = {ly, ly};
      pls->lsty(3);
      pls->line(2, gx, gy);
      pls->lsty(1);
      char label[32];
      std::snprintf(label, sizeof(label), "%g", v);
      pls->mtex("lv", 0.7, (ly - wy_lo) / (wy_hi - wy_lo), 1.0, label);
    }
  }
  const std::string title = report.law + ": " + report.formula;
  pls->mtex("t", 2.0, 0.0, 0.0, title.c_str());  // left-aligned: long formulas fit
  pls->mtex("b", 3.2, 0.5, 0.5, AxisLabel(data.x_names[axis]).c_str());
  pls->mtex("l", 4.0, 0.5, 0.5, (data.y_name + " (log scale)").c_str());

  if (!band_x.empty()) {
    std::vector<double> px(band_x), py(band_hi);
    for (int i = static_cast<int>(band_x.size()) - 1; i >= 0; --i) {
      px.push_back(band_x[i]);
      py.push_back(band_lo[i]);
    }
    pls->col0(kBand);
    pls->fill(static_cast<int>(px.size()), px.data(), py.data());
  }
  pls->width(2.0);
  for (size_t g = 0; g < groups.size(); ++g) {
    if (curve_x[g].size() < 2) continue;
    pls->col0(colour_of(static_cast<int>(g)));
    pls->line(static_cast<int>(curve_x[g].size()), curve_x[g].data(), curve_y[g].data());
  }
  // The Pareto frontier of the points in (axis, y).
  {
    std::vector<int> order(data.size());
    for (int i = 0; i < data.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return xs[a] < xs[b]; });
    std::vector<double> fx, fy;
    double best = HUGE_VAL;
    for (const int i : order) {
      if (data.y[i] < best) {
        best = data.y[i];
        fx.push_back(std::log10(xs[i]));
        fy.push_back(std::log10(data.y[i]));
      }
    }
    pls->col0(kFrontier);
    pls->lsty(2);
    if (fx.size() >= 2) pls->line(static_cast<int>(fx.size()), fx.data(), fy.data());
    pls->lsty(1);
  }
  pls->width(1.0);
  pls->ssym(0, 1.3);
  for (int i = 0; i < data.size(); ++i) {
    double px = std::log10(xs[i]), py = std::log10(data.y[i]);
    pls->col0(colour_of(group_of(i)));
    pls->poin(1, &px, &py, 17);
  }

  if (!opt_x.empty()) {
    pls->col0(kInk);
    pls->ssym(0, 2.0);
    pls->poin(static_cast<int>(opt_x.size()), opt_x.data(), opt_y.data(), 5);  // a cross
    pls->ssym(0, 1.3);
  }

  // Legend: one entry per size (up to 8), the frontier, the band; right of the plot.
  std::vector<std::string> text;
  std::vector<PLINT> opt, colours, styles, symbol_numbers, box_colours, box_patterns;
  std::vector<PLFLT> widths, symbol_scales, box_scales, box_widths;
  std::vector<std::string> symbols;
  const std::string group_name = group >= 0 ? data.x_names[group] : std::string(isoflop ? "C" : "");
  // One entry per colour: with more sizes than colours, the first size of each colour.
  for (size_t g = 0; g < groups.size(); ++g) {
    const int colour = colour_of(static_cast<int>(g));
    if (!colours.empty() && colours.back() == colour) continue;
    text.push_back(group >= 0 ? group_name + " = " + Short(groups[g]) : "runs");
    opt.push_back(PL_LEGEND_SYMBOL | (lines ? PL_LEGEND_LINE : 0));
    colours.push_back(colour);
  }
  const size_t shown = colours.size();
  text.push_back("Pareto frontier");
  opt.push_back(PL_LEGEND_LINE);
  colours.push_back(kFrontier);
  if (!band_x.empty()) {
    text.push_back(report.interval_kind == "bootstrap" ? "CI band (bootstrap)" : "CI band (t)");
    opt.push_back(PL_LEGEND_COLOR_BOX);
    colours.push_back(kBand);
  }
  if (!opt_x.empty()) {
    text.push_back("minimum (N_opt)");
    opt.push_back(PL_LEGEND_SYMBOL);
    colours.push_back(kInk);
  }
  const int n = static_cast<int>(text.size());
  styles.assign(n, 1);
  styles[shown] = 2;
  widths.assign(n, 2.0);
  symbol_numbers.assign(n, 1);
  symbol_scales.assign(n, 1.0);
  symbols.assign(n, "\u25cf");  // a filled circle (the cairo driver renders Unicode)
  if (!opt_x.empty()) symbols.back() = "\u00d7";
  box_colours = colours;
  box_patterns.assign(n, 0);
  box_scales.assign(n, 0.8);
  box_widths.assign(n, 1.0);
  std::vector<const char*> text_ptr, symbol_ptr;
  for (const auto& t : text) text_ptr.push_back(t.c_str());
  for (const auto& s : symbols) symbol_ptr.push_back(s.c_str());
  std::vector<PLINT> text_colours(n, kInk);
  PLFLT legend_width, legend_height;
  pls->col0(kInk);
  pls->legend(&legend_width, &legend_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
              PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, 0.02, 0.0, 0.06, 0, kInk, 1, 0, 0, n,
              opt.data(), 1.0, 0.8, 2.0, 0.0, text_colours.data(), text_ptr.data(),
              box_colours.data(), box_patterns.data(), box_scales.data(), box_widths.data(),
              colours.data(), styles.data(), widths.data(), colours.data(), symbol_scales.data(),
              symbol_numbers.data(), symbol_ptr.data());
  pls.reset();  // plend: writes the file
  if (!std::filesystem::exists(file) || std::filesystem::file_size(file) == 0) {
    throw IoError(file + ": PLplot wrote no plot (is plplot-driver-cairo installed?)");
  }
}

}  // namespace florenz
