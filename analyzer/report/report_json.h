// Renders a Report as JSON with the stable keys of SPEC §4:
//   {"summary": {...}, "at": "...", "sites": [{"function", "file", "line",
//    "module", "size", "count", "stack": [{"function", "file", "line",
//    "module"}]}]}
// plus extra keys ("leaks", "temporary", "mismatches", ...). Strings from the
// trace are untrusted: invalid UTF-8 is replaced, never an exception.
//
// Thread-safety: functions.

#ifndef HEAPTRAIL_ANALYZER_REPORT_REPORT_JSON_H_
#define HEAPTRAIL_ANALYZER_REPORT_REPORT_JSON_H_

#include <ostream>

#include "nlohmann/json.hpp"
#include "report/leak_check.h"
#include "report/report.h"

namespace heaptrail::analyzer {

nlohmann::json SummaryToJson(const Summary& summary);
nlohmann::json FrameToJson(const FrameInfo& frame);
nlohmann::json StackToJson(const std::vector<FrameInfo>& frames);
nlohmann::json SitesToJson(const std::vector<Site>& sites);
nlohmann::json ReportToJson(const Report& report);
// {"trace", "within_budget", "budgets": [{"name", "limit", "value", "over",
// "sites"}], "suppressed": {"bytes", "blocks", "sites"}}.
nlohmann::json CheckToJson(const CheckResult& result, const std::string& trace);

// Pretty-prints `value` followed by a newline, replacing invalid UTF-8.
void WriteJson(const nlohmann::json& value, std::ostream& out);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_REPORT_JSON_H_
