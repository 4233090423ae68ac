// Renders a Report as text for a terminal: the summary, then tables of
// sites with sizes in 1024-based units and the exact byte counts.
//
// Thread-safety: a function.

#ifndef HEAPTRAIL_ANALYZER_REPORT_REPORT_TEXT_H_
#define HEAPTRAIL_ANALYZER_REPORT_REPORT_TEXT_H_

#include <ostream>
#include <string>

#include "report/leak_check.h"
#include "report/report.h"

namespace heaptrail::analyzer {

void RenderTextReport(const Report& report, std::ostream& out);

// `text` with control characters replaced by '?': names and labels come
// from the trace and must never drive the terminal.
std::string Printable(std::string text);

// "main  src/main.cc:42" or "main (libfoo.so)" when the file is unknown.
std::string FormatLocation(const FrameInfo& frame);

// A table of sites: size, bytes, blocks, location and its caller.
void RenderSites(const std::vector<Site>& sites, std::ostream& out);

// `heaptrail check`'s verdict on `trace`: each budget, the top sites of
// those it exceeds, the suppressed blocks.
void RenderCheckText(const CheckResult& result, const std::string& trace,
                     std::ostream& out);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_REPORT_TEXT_H_
