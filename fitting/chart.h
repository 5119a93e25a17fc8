// Chart: a small declarative figure (points, lines and interval bands on linear or log axes, with
// a legend) drawn with PLplot to PNG or SVG. The study report builds every one of its figures as
// a Chart, so all of them share the same axes, palette, tick labels and legend layout.
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace florenz {

// How a series is drawn.
enum class ChartStyle {
  kPoints,  // a filled circle per (x, y)
  kLine,    // a polyline through (x, y) in the given order
  kBand,    // a filled translucent area between y_low and y_high over x
};

struct ChartSeries {
  ChartStyle style = ChartStyle::kPoints;
  // Legend entry; empty = not in the legend.
  std::string label;
  // kPoints, kLine: the points. kBand: x only (with y_low, y_high). Same length.
  std::vector<double> x, y;
  // kBand: the lower and upper edge at each x.
  std::vector<double> y_low, y_high;
  // Index into the palette (below); taken modulo kChartColours.
  int colour = 0;
  // kLine: dashed instead of solid. kPoints: also connect the points with a line.
  bool dashed = false;
  bool connect = false;
};

struct Chart {
  std::string title;
  // Axis titles, with units (e.g. "C, training compute (FLOPs)").
  std::string x_label, y_label;
  // Log10 axes. Non-positive values are left out of a log axis.
  bool log_x = false, log_y = false;
  // Values the axes must include (NaN = none): e.g. 0 for BLEU, 0.5 and 1 for an accuracy.
  double y_min = std::numeric_limits<double>::quiet_NaN();
  double y_max = std::numeric_limits<double>::quiet_NaN();
  std::vector<ChartSeries> series;
  // Image size in pixels (PNG) or points (SVG).
  int width = 1000, height = 620;
};

// A series of each style with the fields most figures set; the rest stay at their defaults.
ChartSeries PointSeries(const std::string& label, int colour);
ChartSeries LineSeries(const std::string& label, int colour, bool dashed = false);
ChartSeries BandSeries(const std::string& label, int colour);

// The palette: a colour-blind-friendly categorical set (Okabe–Ito): 0 blue, 1 vermillion,
// 2 bluish green, 3 reddish purple, 4 orange, 5 sky blue, 6 black, 7 olive; kChartGrey is a
// neutral grey for reference lines (chance level). ChartSeries::colour indexes it.
inline constexpr int kChartColours = 9;
inline constexpr int kChartGrey = 8;

// Draws `chart` to `file` (.png → pngcairo, .svg → svgcairo). Throws ConfigError for another
// extension, std::invalid_argument when no series has a point that can be drawn (the caller
// reports missing data in words instead), IoError when PLplot wrote no file.
void DrawChart(const Chart& chart, const std::string& file);

}  // namespace florenz
