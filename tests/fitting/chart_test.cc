// DrawChart: writes a PNG (and SVG) for linear and log axes, including a log axis spanning less
// than a decade (hand-made tick labels), and refuses a chart with nothing to draw or a bad
// file name.
#include "fitting/chart.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.h"
#include "fitting/plot_output.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;

fs::path Out(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "florenz_chart_test";
  fs::create_directories(dir);
  fs::remove(dir / name);
  return dir / name;
}

std::string Head(const fs::path& file, size_t n) {
  std::ifstream in(file, std::ios::binary);
  std::string text(n, '\0');
  in.read(text.data(), static_cast<std::streamsize>(n));
  return text.substr(0, static_cast<size_t>(in.gcount()));
}

Chart Sample(bool log_y) {
  Chart chart;
  chart.title = "sample";
  chart.x_label = "N (parameters)";
  chart.y_label = "loss";
  chart.log_x = true;
  chart.log_y = log_y;
  ChartSeries points, line, band;
  points.label = "runs";
  line.style = ChartStyle::kLine;
  line.label = "fit";
  line.dashed = true;
  band.style = ChartStyle::kBand;
  band.label = "interval";
  for (int i = 0; i < 6; ++i) {
    const double n = 1e6 * std::pow(10.0, i * 0.5);
    points.x.push_back(n);
    points.y.push_back(3.0 - 0.2 * i);
    line.x.push_back(n);
    line.y.push_back(3.05 - 0.2 * i);
    band.x.push_back(n);
    band.y_low.push_back(2.9 - 0.2 * i);
    band.y_high.push_back(3.2 - 0.2 * i);
  }
  chart.series = {band, line, points};
  return chart;
}

TEST(ChartTest, WritesPngWithLogAxesSpanningLessThanADecade) {
  const fs::path file = Out("log.png");
  DrawChart(Sample(true), file.string());  // y: 1.9 .. 3.2, under a decade
  EXPECT_EQ(Head(file, 4).substr(1), "PNG");
  EXPECT_GT(fs::file_size(file), 5000u);
}

TEST(ChartTest, WritesSvgWithLinearY) {
  const fs::path file = Out("linear.svg");
  DrawChart(Sample(false), file.string());
  EXPECT_NE(Head(file, 400).find("<svg"), std::string::npos);
}

TEST(ChartTest, SkipsValuesALogAxisCannotShow) {
  Chart chart = Sample(true);
  chart.series[2].x.push_back(-1.0);  // not on a log axis
  chart.series[2].y.push_back(NAN);
  const fs::path file = Out("skips.png");
  DrawChart(chart, file.string());
  EXPECT_TRUE(fs::exists(file));
}

// A file that cannot be created is an IoError naming it, before PLplot starts: PLplot never
// ends the process ("*** PLPLOT ERROR, IMMEDIATE EXIT ***"), and the next drawing still works.
TEST(ChartTest, AnUnwritablePathIsAnErrorNotAnExit) {
  const fs::path inside_a_file = Out("plain_file") / "chart.png";  // parent is a regular file
  std::ofstream(inside_a_file.parent_path()) << "x";
  try {
    DrawChart(Sample(true), inside_a_file.string());
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(inside_a_file.string() + ": cannot write the plot"),
              std::string::npos)
        << e.what();
  }
  const fs::path good = Out("after_error.png");
  DrawChart(Sample(true), good.string());
  EXPECT_EQ(Head(good, 4).substr(1, 3), "PNG");
}

// What PLplot leaves when a write fails: nothing, or a figure cut short. Neither is a figure.
TEST(ChartTest, AFigureIsWholeOnlyWithItsEnd) {
  const fs::path png = Out("whole.png"), svg = Out("whole.svg");
  DrawChart(Sample(true), png.string());
  DrawChart(Sample(false), svg.string());
  EXPECT_EQ(IncompleteFigure(png), "");
  EXPECT_EQ(IncompleteFigure(svg), "");
  for (const fs::path& file : {png, svg}) {
    fs::resize_file(file, fs::file_size(file) - 20);
    EXPECT_EQ(IncompleteFigure(file), "cut short") << file;
    fs::resize_file(file, 0);
    EXPECT_EQ(IncompleteFigure(file), "empty") << file;
  }
  EXPECT_EQ(IncompleteFigure(Out("missing.png")), "empty");
}

// A full disk (a real tmpfs, filled): the error says so — not that PLplot's driver is missing —
// and leaves neither a figure (empty or cut short) nor a temporary behind. Root only (mount).
TEST(ChartTest, AFullDiskIsNamedAndLeavesNoFigureBehind) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
  const fs::path disk = Out("full_disk");
  fs::create_directories(disk);
  ASSERT_EQ(mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=64k"), 0);
  struct Unmount {
    std::string path;
    ~Unmount() { umount(path.c_str()); }
  } unmount{disk.string()};
  {
    std::ofstream filler(disk / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    for (int i = 0; i < 64 && filler; ++i) filler << block;
  }
  try {
    DrawChart(Sample(true), (disk / "figure.png").string());
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no space left on the disk"), std::string::npos)
        << e.what();
  }
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(disk)) left.push_back(entry.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"filler"});
}

// A symbolic link where the figure goes is refused, naming the path; its target keeps its bytes.
TEST(ChartTest, AFigureIsNeverWrittenThroughALink) {
  const fs::path victim = Out("victim.txt"), link = Out("linked.png");
  std::ofstream(victim) << "someone else's file\n";
  fs::create_symlink(victim, link);
  try {
    DrawChart(Sample(true), link.string());
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(link.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(Head(victim, 100), "someone else's file\n");
  EXPECT_TRUE(fs::is_symlink(link));
}

TEST(ChartTest, RefusesNothingToDrawAndBadExtensions) {
  Chart chart;
  chart.log_x = true;
  ChartSeries only_negative;
  only_negative.x = {-1.0, 0.0};
  only_negative.y = {1.0, 2.0};
  chart.series = {only_negative};
  EXPECT_THROW(DrawChart(chart, Out("empty.png").string()), std::invalid_argument);
  EXPECT_THROW(DrawChart(Sample(true), Out("figure.jpg").string()), ConfigError);
}

}  // namespace
}  // namespace florenz
