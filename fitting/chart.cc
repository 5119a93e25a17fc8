// Drawing a Chart with PLplot (see chart.h). cmap0: 0 background, 1 ink, 2.. the palette
// opaque, then the palette translucent (bands), then a light grey for the grid.
#include "fitting/chart.h"

#include <plplot/plstream.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "core/errors.h"
#include "fitting/plot_output.h"

namespace florenz {
namespace {

constexpr int kInk = 1, kOpaque = 2, kTranslucent = kOpaque + kChartColours,
              kGrid = kTranslucent + kChartColours;
constexpr int kPalette[kChartColours][3] = {
    {0, 114, 178},  {213, 94, 0}, {0, 158, 115}, {204, 121, 167}, {230, 159, 0},
    {86, 180, 233}, {0, 0, 0},    {150, 135, 0}, {120, 120, 120},
};

int Colour(int index) { return ((index % kChartColours) + kChartColours) % kChartColours; }

// One axis: data range in plot coordinates (log10 for a log axis).
struct Axis {
  bool log = false;
  double lo = HUGE_VAL, hi = -HUGE_VAL;

  bool Valid(double v) const { return std::isfinite(v) && (!log || v > 0); }
  double Map(double v) const { return log ? std::log10(v) : v; }
  void Include(double v) {
    if (!Valid(v)) return;
    lo = std::min(lo, Map(v));
    hi = std::max(hi, Map(v));
  }
  void Pad() {
    const double span = hi - lo;
    const double pad = span > 0 ? 0.04 * span : (log ? 0.05 : std::max(0.5, 0.1 * std::abs(lo)));
    lo -= pad;
    hi += pad;
  }
};

// Round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi] in data units.
std::vector<double> NiceTicks(double lo, double hi) {
  const double span = hi - lo;
  double step = std::pow(10.0, std::floor(std::log10(span / 5)));
  if (span / step > 25) {
    step *= 5;
  } else if (span / step > 10) {
    step *= 2;
  }
  std::vector<double> ticks;
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) {
    ticks.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  }
  return ticks;
}

// Tick values for a log axis over [lo, hi] (log10 units) that PLplot labels poorly (it labels
// decades only). From coarse to fine, 10^k, {1, 2, 5} × 10^k, {1..9} × 10^k: the first set with
// at least four ticks that are at least `min_gap` of the axis apart; when a set is too dense,
// the coarser one if it has three ticks, else the dense one thinned to that gap. A range too
// narrow for four ticks of any set gets round linear values (thinned too) if they are more.
std::vector<double> LogTicks(double lo, double hi, double min_gap) {
  const double gap = min_gap * (hi - lo);
  auto thin = [&](const std::vector<double>& ticks) {
    std::vector<double> kept;
    for (const double v : ticks) {
      if (v > 0 && (kept.empty() || std::log10(v) - std::log10(kept.back()) >= gap)) {
        kept.push_back(v);
      }
    }
    return kept;
  };
  std::vector<double> coarser;
  for (const std::vector<int>& mantissas :
       std::vector<std::vector<int>>{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
    std::vector<double> ticks;
    for (int k = static_cast<int>(std::floor(lo)); k <= static_cast<int>(std::ceil(hi)); ++k) {
      for (const int m : mantissas) {
        const double at = std::log10(m) + k;
        if (at >= lo && at <= hi) ticks.push_back(m * std::pow(10.0, k));
      }
    }
    if (ticks.size() >= 4) {
      const std::vector<double> kept = thin(ticks);
      if (kept.size() == ticks.size()) return ticks;
      return coarser.size() >= 3 ? coarser : kept;
    }
    coarser = ticks;
  }
  const std::vector<double> linear = thin(NiceTicks(std::pow(10.0, lo), std::pow(10.0, hi)));
  return linear.size() > coarser.size() ? linear : coarser;
}

// "0.25", "60", "2×10⁵" (PLplot superscript escapes) for a tick value.
std::string TickLabel(double v) {
  char text[48];
  if (v >= 1e-3 && v < 1e5) {
    std::snprintf(text, sizeof(text), "%g", v);
    return text;
  }
  const int k = static_cast<int>(std::floor(std::log10(v) + 1e-9));
  const double m = v / std::pow(10.0, k);
  if (std::abs(m - 1) < 1e-9) {
    std::snprintf(text, sizeof(text), "10#u%d#d", k);
  } else {
    std::snprintf(text, sizeof(text), "%g\u00d710#u%d#d", m, k);
  }
  return text;
}

// Labels and dotted grid lines of a log axis at LogTicks; `x` picks the axis.
void ManualLogTicks(plstream& pls, const Axis& axis, const Axis& other, bool x) {
  for (const double v : LogTicks(axis.lo, axis.hi, x ? 1.0 / 6 : 1.0 / 9)) {
    const double at = std::log10(v);
    double gx[2], gy[2];
    if (x) {
      gx[0] = gx[1] = at, gy[0] = other.lo, gy[1] = other.hi;
    } else {
      gy[0] = gy[1] = at, gx[0] = other.lo, gx[1] = other.hi;
    }
    pls.col0(kGrid);
    pls.lsty(3);
    pls.line(2, gx, gy);
    pls.lsty(1);
    pls.col0(kInk);
    const std::string label = TickLabel(v);
    const double where = (at - axis.lo) / (axis.hi - axis.lo);
    if (x) {
      pls.mtex("b", 1.6, where, 0.5, label.c_str());
    } else {
      pls.mtex("lv", 0.7, where, 1.0, label.c_str());
    }
  }
}

void DrawAxes(plstream& pls, const Axis& x, const Axis& y) {
  // PLplot labels log axes at decades only: too few labels below three decades.
  const bool manual_x = x.log && x.hi - x.lo < 3.0, manual_y = y.log && y.hi - y.lo < 3.0;
  pls.col0(kGrid);
  pls.box(manual_x ? "" : (x.log ? "gl" : "g"), 0, 0, manual_y ? "" : (y.log ? "gl" : "g"), 0, 0);
  pls.col0(kInk);
  const std::string xo = std::string("bcst") + (manual_x ? "" : "n") + (x.log ? "l" : "");
  const std::string yo = std::string("bcst") + (manual_y ? "" : "nv") + (y.log ? "l" : "");
  pls.box(manual_x ? "bc" : xo.c_str(), 0, 0, manual_y ? "bc" : yo.c_str(), 0, 0);
  if (manual_x) ManualLogTicks(pls, x, y, true);
  if (manual_y) ManualLogTicks(pls, y, x, false);
}

// The data range of every drawable value of `chart`, padded, including y_min and y_max.
// Throws std::invalid_argument when nothing can be drawn.
void ChartRange(const Chart& chart, const std::string& file, Axis* x, Axis* y) {
  for (const ChartSeries& s : chart.series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!x->Valid(s.x[i])) continue;
      const bool band = s.style == ChartStyle::kBand;
      const double lo = band ? s.y_low[i] : s.y[i], hi = band ? s.y_high[i] : s.y[i];
      if (!y->Valid(lo) || !y->Valid(hi)) continue;
      x->Include(s.x[i]);
      y->Include(lo);
      y->Include(hi);
    }
  }
  if (!(x->lo <= x->hi) || !(y->lo <= y->hi)) {
    throw std::invalid_argument(file + ": the chart has no point that can be drawn");
  }
  y->Include(chart.y_min);
  y->Include(chart.y_max);
  x->Pad();
  y->Pad();
}

// A PLplot stream writing `file` (a temporary from PreparePlotOutput) with `device`, the
// palette loaded and the page started.
std::unique_ptr<plstream> OpenPlot(const char* device, const std::string& file, int width,
                                   int height) {
  auto pls = std::make_unique<plstream>();
  pls->sdev(device);
  pls->sfnam(file.c_str());
  pls->spage(0, 0, width, height, 0, 0);
  pls->scmap0n(kGrid + 1);
  pls->scol0(0, 255, 255, 255);
  pls->scol0(kInk, 25, 25, 25);
  for (int i = 0; i < kChartColours; ++i) {
    pls->scol0(kOpaque + i, kPalette[i][0], kPalette[i][1], kPalette[i][2]);
    pls->scol0a(kTranslucent + i, kPalette[i][0], kPalette[i][1], kPalette[i][2], 0.22);
  }
  pls->scol0(kGrid, 205, 205, 205);
  pls->init();
  pls->schr(0, 0.95);
  pls->adv(0);
  return pls;
}

// One series in plot coordinates: a translucent band, a line, or points (optionally joined).
void DrawSeries(plstream& pls, const ChartSeries& s, const Axis& x, const Axis& y) {
  std::vector<double> px, py, upper;
  for (size_t i = 0; i < s.x.size(); ++i) {
    if (!x.Valid(s.x[i])) continue;
    if (s.style == ChartStyle::kBand) {
      if (!y.Valid(s.y_low[i]) || !y.Valid(s.y_high[i])) continue;
      px.push_back(x.Map(s.x[i]));
      py.push_back(y.Map(s.y_low[i]));
      upper.push_back(y.Map(s.y_high[i]));
    } else if (y.Valid(s.y[i])) {
      px.push_back(x.Map(s.x[i]));
      py.push_back(y.Map(s.y[i]));
    }
  }
  if (s.style == ChartStyle::kBand) {
    if (px.size() < 2) return;
    for (size_t i = px.size(); i-- > 0;) {
      px.push_back(px[i]);
      py.push_back(upper[i]);
    }
    pls.col0(kTranslucent + Colour(s.colour));
    pls.fill(static_cast<int>(px.size()), px.data(), py.data());
    return;
  }
  pls.col0(kOpaque + Colour(s.colour));
  pls.width(2.0);
  if ((s.style == ChartStyle::kLine || s.connect) && px.size() >= 2) {
    pls.lsty(s.style == ChartStyle::kLine && s.dashed ? 2 : 1);
    pls.line(static_cast<int>(px.size()), px.data(), py.data());
    pls.lsty(1);
  }
  pls.width(1.0);
  if (s.style == ChartStyle::kPoints) {
    pls.ssym(0, 1.3);
    for (size_t i = 0; i < px.size(); ++i) pls.poin(1, &px[i], &py[i], 17);
  }
}

// Legend: one entry per labelled series, in order, right of the plot.
void DrawLegend(plstream& pls, const Chart& chart) {
  std::vector<std::string> text;
  std::vector<PLINT> opt, colours, styles, box_colours, box_patterns, symbol_numbers;
  std::vector<PLFLT> widths, box_scales, box_widths, symbol_scales;
  for (const ChartSeries& s : chart.series) {
    if (s.label.empty()) continue;
    text.push_back(s.label);
    const int c = Colour(s.colour);
    switch (s.style) {
      case ChartStyle::kPoints:
        opt.push_back(PL_LEGEND_SYMBOL | (s.connect ? PL_LEGEND_LINE : 0));
        break;
      case ChartStyle::kLine:
        opt.push_back(PL_LEGEND_LINE);
        break;
      case ChartStyle::kBand:
        opt.push_back(PL_LEGEND_COLOR_BOX);
        break;
    }
    colours.push_back(kOpaque + c);
    box_colours.push_back(kTranslucent + c);
    styles.push_back(s.style == ChartStyle::kLine && s.dashed ? 2 : 1);
  }
  const int n = static_cast<int>(text.size());
  if (n == 0) return;
  widths.assign(n, 2.0);
  box_patterns.assign(n, 0);
  box_scales.assign(n, 0.9);
  box_widths.assign(n, 1.0);
  symbol_numbers.assign(n, 1);
  symbol_scales.assign(n, 1.0);
  std::vector<const char*> text_ptr, symbol_ptr(n, "\u25cf");  // cairo renders Unicode
  for (const auto& t : text) text_ptr.push_back(t.c_str());
  std::vector<PLINT> text_colours(n, kInk);
  PLFLT legend_width = 0, legend_height = 0;
  pls.col0(kInk);
  pls.legend(&legend_width, &legend_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, 0.02, 0.0, 0.06, 0, kInk, 1, 0, 0, n,
             opt.data(), 1.0, 0.8, 2.0, 0.0, text_colours.data(), text_ptr.data(),
             box_colours.data(), box_patterns.data(), box_scales.data(), box_widths.data(),
             colours.data(), styles.data(), widths.data(), colours.data(), symbol_scales.data(),
             symbol_numbers.data(), symbol_ptr.data());
}

}  // namespace

ChartSeries PointSeries(const std::string& label, int colour) {
  ChartSeries s;
  s.style = ChartStyle::kPoints;
  s.label = label;
  s.colour = colour;
  return s;
}

ChartSeries LineSeries(const std::string& label, int colour, bool dashed) {
  ChartSeries s = PointSeries(label, colour);
  s.style = ChartStyle::kLine;
  s.dashed = dashed;
  return s;
}

ChartSeries BandSeries(const std::string& label, int colour) {
  ChartSeries s = PointSeries(label, colour);
  s.style = ChartStyle::kBand;
  return s;
}

void DrawChart(const Chart& chart, const std::string& file) {
  const std::string ext = std::filesystem::path(file).extension().string();
  const char* device = ext == ".png" ? "pngcairo" : (ext == ".svg" ? "svgcairo" : nullptr);
  if (device == nullptr) {
    throw ConfigError(SourceLocation{file, 0, 0}, "a figure file must end in .png or .svg");
  }
  Axis x{chart.log_x}, y{chart.log_y};
  ChartRange(chart, file, &x, &y);

  // A clear error for an unwritable path (PLplot never exits); PLplot writes a fresh temporary.
  AtomicFile out = PreparePlotOutput(file);
  auto pls = OpenPlot(device, out.temporary().string(), chart.width, chart.height);
  pls->vpor(0.1, 0.64, 0.13, 0.9);  // room on the right for the legend
  pls->wind(x.lo, x.hi, y.lo, y.hi);
  DrawAxes(*pls, x, y);
  pls->col0(kInk);
  pls->mtex("t", 2.0, 0.5, 0.5, chart.title.c_str());
  pls->mtex("b", 3.3, 0.5, 0.5, chart.x_label.c_str());
  pls->mtex("l", 5.0, 0.5, 0.5, chart.y_label.c_str());
  // Bands, then lines, then points, so markers stay on top.
  for (const ChartStyle pass : {ChartStyle::kBand, ChartStyle::kLine, ChartStyle::kPoints}) {
    for (const ChartSeries& s : chart.series) {
      if (s.style == pass) DrawSeries(*pls, s, x, y);
    }
  }
  DrawLegend(*pls, chart);
  pls.reset();  // plend: writes the file
  PublishPlotOutput(out);
}

}  // namespace florenz
