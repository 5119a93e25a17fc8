// PlotFit: the isoFLOP figure carries each budget's parabola (FitReport::isoflop_budgets), and
// the plot files are written for every law's figure.
#include "fitting/fit_plot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "fitting/fit_driver.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;

// Three budgets × five sizes: log L a parabola in log N with its minimum at N = C^0.5 / 10.
FitData IsoflopData() {
  FitData data;
  data.source = "synthetic";
  data.x_names = {"N", "C"};
  data.y_name = "loss";
  data.x.resize(2);
  for (const double c : {1e16, 1e17, 1e18}) {
    const double n_opt = std::sqrt(c) / 10;
    for (int k = -2; k <= 2; ++k) {
      const double n = n_opt * std::pow(3.0, k);
      const double x = std::log(n / n_opt);
      data.x[0].push_back(n);
      data.x[1].push_back(c);
      data.y.push_back(std::exp(std::log(3.0 - 0.1 * std::log10(c)) + 0.05 * x * x));
    }
  }
  return data;
}

TEST(FitPlotTest, IsoflopReportCarriesEachBudgetsParabola) {
  FitOptions options;
  options.law = Law::kIsoflop;
  const FitData data = IsoflopData();
  const FitReport report = RunFit(data, options);
  ASSERT_EQ(report.isoflop_budgets.size(), 3u);
  for (const IsoflopBudget& b : report.isoflop_budgets) {
    EXPECT_NEAR(b.n_opt, std::sqrt(b.compute) / 10, 1e-6 * b.n_opt);
    EXPECT_TRUE(b.interior);
  }
  const fs::path file = fs::temp_directory_path() / "florenz_fit_plot_isoflop.png";
  fs::remove(file);
  PlotFit(data, report, file.string());
  EXPECT_GT(fs::file_size(file), 10000u);
}

}  // namespace
}  // namespace florenz
