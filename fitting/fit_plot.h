// PlotFit: the figure of a fit, a Chart drawn by DrawChart (PNG or SVG): log-log axes,
// the points coloured by model size, the fitted law per size extended one decade beyond the
// data, the Pareto frontier, and the interval band over the extrapolated range; for an isoFLOP
// fit, the points against N coloured by compute budget with each budget's parabola and minimum.
#pragma once

#include <string>

#include "fitting/chart.h"
#include "fitting/fit_data.h"
#include "fitting/fit_driver.h"

namespace florenz {

struct FitPlotOptions {
  // Image size in pixels (PNG) or points (SVG). Default 1000 × 700.
  int width = 1000;
  int height = 700;
  // How many decades beyond the largest x the law and its band are drawn. Default 1.
  double extrapolate_decades = 1.0;
};

// The figure as a Chart: the interval band, the law per size (or each budget's parabola and
// its minimum), the Pareto frontier, then the points.
Chart FitChart(const FitData& data, const FitReport& report, const FitPlotOptions& options = {});

// Draws FitChart to `file` (.png → pngcairo, .svg → svgcairo). Throws ConfigError for another
// extension, IoError when PLplot wrote no file.
void PlotFit(const FitData& data, const FitReport& report, const std::string& file,
             const FitPlotOptions& options = {});

}  // namespace florenz
