// The study report as one static, self-contained HTML page: inline CSS, no script, no external
// resource; figures are <img> with relative src (the PNGs beside index.html), and every piece
// of text from the report (run ids, metric names, error messages) is escaped.
#pragma once

#include <string>

#include "fitting/report.h"

namespace florenz {

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(const std::string& text);

// The whole page (UTF-8): title, the input summary, a table of contents, then each section
// with its paragraphs, figures, tables and what could not be shown.
std::string RenderReportHtml(const StudyReport& report);

}  // namespace florenz
