// Assembles the self-contained HTML report: the page template with the
// stylesheet, the script and the report's JSON data inlined. The three
// assets are the files report.html, report.css and report.js of this
// directory, embedded into the binary at build time (embed_assets.cmake).
//
// Thread-safety: a function.

#ifndef HEAPTRAIL_ANALYZER_HTML_HTML_PAGE_H_
#define HEAPTRAIL_ANALYZER_HTML_HTML_PAGE_H_

#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace heaptrail::analyzer {

// Generated from the assets (html_assets.cc in the build directory).
std::string_view ReportHtmlAsset();
std::string_view ReportCssAsset();
std::string_view ReportJsAsset();

// The page; `title` goes into <title> (escaped).
std::string RenderHtmlPage(const nlohmann::json& data, std::string_view title);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_HTML_HTML_PAGE_H_
