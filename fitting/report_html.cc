// Rendering a StudyReport as HTML (see report_html.h). The page is plain HTML5 with a small
// inline stylesheet, readable without JavaScript and printable.
#include "fitting/report_html.h"

#include <sstream>

namespace florenz {
namespace {

constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
figure { margin: 1.2em 0; } figure img { width: 100%; max-width: 860px; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
td { white-space: nowrap; }
th { background: #f2f2f2; } td:first-child, th:first-child { text-align: left; }
.missing { background: #fff4e0; border-left: 4px solid #e69f00; padding: 0.4em 0.8em; }
.meta { color: #555; }
)";

void Table(const ReportTable& table, std::ostringstream& out) {
  out << "<table>\n<caption>" << HtmlEscape(table.caption) << "</caption>\n<thead><tr>";
  for (const auto& h : table.header) out << "<th>" << HtmlEscape(h) << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out << "<tr>";
    for (const auto& cell : row) out << "<td>" << HtmlEscape(cell) << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody>\n</table>\n";
}

void Section(const ReportSection& section, std::ostringstream& out) {
  out << "<section id=\"" << HtmlEscape(section.id) << "\">\n<h2>" << HtmlEscape(section.title)
      << "</h2>\n";
  for (const auto& p : section.paragraphs) out << "<p>" << HtmlEscape(p) << "</p>\n";
  for (const auto& m : section.missing) out << "<p class=\"missing\">" << HtmlEscape(m) << "</p>\n";
  for (const auto& f : section.figures) {
    out << "<figure>\n<img src=\"" << HtmlEscape(f.file) << "\" alt=\"" << HtmlEscape(f.caption)
        << "\">\n<figcaption>" << HtmlEscape(f.caption) << "</figcaption>\n</figure>\n";
  }
  for (const auto& t : section.tables) Table(t, out);
  out << "</section>\n";
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderReportHtml(const StudyReport& report) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>" << HtmlEscape(report.title) << "</title>\n<style>" << kStyle
      << "</style>\n</head>\n<body>\n<h1>" << HtmlEscape(report.title) << "</h1>\n"
      << "<p class=\"meta\">Source: <code>" << HtmlEscape(report.source) << "</code>; "
      << report.runs << " runs (" << report.completed << " completed, " << report.failed
      << " failed). Written by <code>florenz report</code>; the fits are those of <code>florenz "
         "fit</code> (docs/fitting.md).</p>\n";
  for (const auto& note : report.notes)
    out << "<p class=\"missing\">" << HtmlEscape(note) << "</p>\n";
  out << "<nav><ol>\n";
  for (const auto& s : report.sections) {
    out << "<li><a href=\"#" << HtmlEscape(s.id) << "\">" << HtmlEscape(s.title) << "</a>"
        << (s.missing.empty() ? "" : " (incomplete)") << "</li>\n";
  }
  out << "</ol></nav>\n";
  for (const auto& s : report.sections) Section(s, out);
  out << "</body>\n</html>\n";
  return out.str();
}

}  // namespace florenz
