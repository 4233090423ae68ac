// RenderHtmlPage: one self-contained page; data that could close the
// script element is escaped and still parses back to the same JSON.

#include "html/html_page.h"

#include <string>

#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

TEST(HtmlPageTest, InlinesAssetsAndEscapesData) {
  const nlohmann::json data = {{"function", "f</script><script>alert(1)"}};
  const std::string page = RenderHtmlPage(data, "a <b> & \"c\"");
  EXPECT_NE(page.find("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"),
            std::string::npos);
  EXPECT_EQ(page.find("/*HEAPTRAIL_"), std::string::npos);
  EXPECT_NE(page.find(std::string(ReportJsAsset())), std::string::npos);
  EXPECT_NE(page.find(std::string(ReportCssAsset())), std::string::npos);
  EXPECT_EQ(page.find("f</script>"), std::string::npos);
  // Nothing is loaded from elsewhere.
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(page.find("https://"), std::string::npos);

  const std::string open =
      "<script type=\"application/json\" id=\"heaptrail-data\">";
  const size_t begin = page.find(open) + open.size();
  const size_t end = page.find("</script>", begin);
  EXPECT_EQ(nlohmann::json::parse(page.substr(begin, end - begin)), data);
}

}  // namespace
}  // namespace heaptrail::analyzer
