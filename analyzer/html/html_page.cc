// RenderHtmlPage: placeholder substitution. The JSON goes into a
// <script type="application/json"> element, where only "</" could end the
// element early: it is written "<\/", which JSON reads back as "</".

#include "html/html_page.h"

#include <utility>
#include <vector>

namespace heaptrail::analyzer {
namespace {

// Replaces every `from` in `text` in one left-to-right pass, so that nothing
// substituted is scanned again.
std::string ReplaceAll(
    std::string_view text,
    const std::vector<std::pair<std::string_view, std::string_view>>& rules) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    for (const auto& [from, to] : rules) {
      if (text.substr(i, from.size()) == from) {
        out.append(to);
        i += from.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(text[i++]);
  }
  return out;
}

}  // namespace

std::string RenderHtmlPage(const nlohmann::json& data, std::string_view title) {
  const std::string json = ReplaceAll(
      data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      {{"</", "<\\/"}});
  const std::string escaped_title = ReplaceAll(
      title, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
  return ReplaceAll(ReportHtmlAsset(),
                    {{"/*HEAPTRAIL_CSS*/", ReportCssAsset()},
                     {"/*HEAPTRAIL_JS*/", ReportJsAsset()},
                     {"/*HEAPTRAIL_DATA*/", json},
                     {"<!--HEAPTRAIL_TITLE-->", escaped_title}});
}

}  // namespace heaptrail::analyzer
