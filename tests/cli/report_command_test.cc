// `florenz report DIR` end to end: the command on a synthetic results folder (no training), the
// page opened in headless Chromium (Debian's `chromium`, from scripts/install-deps) to check that
// every <img> loaded and to take a screenshot; bad input exits with code 2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "tests/e2e_util.h"
#include "tests/fitting/synthetic_results.h"

namespace florenz {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using e2e::Florenz;
using e2e::Result;
using e2e::RunShell;

std::string Read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Headless Chromium with no network, no profile, no GPU, as root (no sandbox), given time to
// load the page's images; `action` is --dump-dom or --screenshot=FILE.
Result Chromium(const std::string& action, const fs::path& page) {
  const fs::path profile =
      fs::temp_directory_path() / ("florenz_chromium_" + std::to_string(getpid()));
  fs::remove_all(profile);
  const Result r = RunShell(
      "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--hide-scrollbars --window-size=1200,10000 --virtual-time-budget=10000 --user-data-dir=" +
      profile.string() + " " + action + " 'file://" + fs::absolute(page).string() +
      "' 2>/dev/null");
  fs::remove_all(profile);
  return r;
}

// A copy of the page with a script that records, after load, how many images there are and
// the src of each one that did not load (naturalWidth 0); returns "<count>|<broken srcs>".
std::string ImagesAfterLoad(const fs::path& page, const std::string& html) {
  const std::string script =
      "<script>window.addEventListener('load', () => {"
      "const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
      ".map(i => i.getAttribute('src'));"
      "document.body.setAttribute('data-images', document.images.length);"
      "document.body.setAttribute('data-broken', broken.join(' '));});</script></body>";
  const fs::path check = page.parent_path() / "check_images.html";
  std::ofstream(check) << std::regex_replace(html, std::regex("</body>"), script);
  const Result dom = Chromium("--dump-dom", check);
  fs::remove(check);
  std::smatch match;
  const std::regex body("<body data-images=\"(\\d+)\" data-broken=\"([^\"]*)\"");
  if (!std::regex_search(dom.output, match, body)) return "no result: " + dom.output.substr(0, 300);
  return match[1].str() + "|" + match[2].str();
}

TEST(ReportCommandTest, EveryFigureLoadsInHeadlessChromium) {
  ASSERT_EQ(RunShell("command -v chromium").code, 0)
      << "Debian's chromium is needed to check the report (scripts/install-deps installs it)";
  const fs::path dir = fs::temp_directory_path() / "florenz_report_command_test";
  testing::WriteSyntheticStudy(dir, {});
  const Result r = Florenz("report " + dir.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("7 sections, 12 figures"));
  const fs::path page = dir / "report" / "index.html";
  const std::string html = Read(page);

  EXPECT_EQ(ImagesAfterLoad(page, html), "12|");
  EXPECT_THAT(r.output, HasSubstr("findings:\n- UC (unseen_caption): b_N = -0.16"));
  // The check can fail: a page whose image is missing is caught.
  const std::string broken =
      std::regex_replace(html, std::regex("src=\"bleu_prefix.png\""), "src=\"missing.png\"");
  EXPECT_EQ(ImagesAfterLoad(page, broken), "12|missing.png");

  const fs::path screenshot = fs::path(FLORENZ_BINARY_DIR) / "report_command_test_screenshot.png";
  fs::remove(screenshot);
  Chromium("--screenshot=" + screenshot.string(), page);
  ASSERT_TRUE(fs::exists(screenshot)) << "Chromium took no screenshot";
  EXPECT_GT(fs::file_size(screenshot), 200000u);  // twelve figures, not a blank page
}

TEST(ReportCommandTest, BadInputExitsTwo) {
  Result r = Florenz("report /nonexistent/florenz_results");
  EXPECT_EQ(r.code, 2) << r.output;
  const fs::path empty = fs::temp_directory_path() / "florenz_report_command_test_empty";
  fs::remove_all(empty);
  fs::create_directories(empty / "runs");
  r = Florenz("report " + empty.string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("florenz collect"));
  r = Florenz("report " + empty.string() + " --extrapolate 10,0.5");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("not a factor > 1"));
  r = Florenz("report " + empty.string() + " --compute joules");
  EXPECT_EQ(r.code, 2) << r.output;
}

}  // namespace
}  // namespace florenz
