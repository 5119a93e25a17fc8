// RenderReportHtml: a static page (no script, no external resource), every text escaped,
// figures as relative <img src>, and what a view could not show marked as such.
#include "fitting/report_html.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace florenz {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

StudyReport Sample() {
  StudyReport report;
  report.title = "study <1> & \"two\"";
  report.source = "/tmp/x/results.h5";
  report.runs = 3;
  report.completed = 2;
  report.failed = 1;
  ReportSection section;
  section.id = "compute";
  section.title = "CE vs C";
  section.paragraphs = {"a < b"};
  section.figures = {{"compute_unseen_caption.png", "UC's figure"}};
  section.tables = {{"fits", {"pairs", "b"}, {{"<script>alert(1)</script>", "-0.16"}}}};
  section.missing = {"ST: no column final/seen_translate"};
  report.sections = {section};
  return report;
}

TEST(ReportHtmlTest, EscapesText) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  const std::string html = RenderReportHtml(Sample());
  EXPECT_THAT(html, HasSubstr("<title>study &lt;1&gt; &amp; &quot;two&quot;</title>"));
  EXPECT_THAT(html, HasSubstr("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
  EXPECT_THAT(html, HasSubstr("<p>a &lt; b</p>"));
  EXPECT_THAT(html, HasSubstr("alt=\"UC&#39;s figure\""));
}

TEST(ReportHtmlTest, IsStaticAndSelfContained) {
  const std::string html = RenderReportHtml(Sample());
  EXPECT_THAT(html, HasSubstr("<img src=\"compute_unseen_caption.png\""));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http")));
  EXPECT_THAT(html, HasSubstr("<meta charset=\"utf-8\">"));
  EXPECT_THAT(html, HasSubstr("3 runs (2 completed, 1 failed)"));
}

TEST(ReportHtmlTest, MarksWhatCouldNotBeShown) {
  const std::string html = RenderReportHtml(Sample());
  EXPECT_THAT(html, HasSubstr("<p class=\"missing\">ST: no column final/seen_translate</p>"));
  EXPECT_THAT(html, HasSubstr("<a href=\"#compute\">CE vs C</a> (incomplete)"));
}

}  // namespace
}  // namespace florenz
