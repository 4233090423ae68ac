// The size histogram: power-of-two bucket bounds, counts and bytes, the
// range of buckets reported, and its place in the report (JSON and text).

#include "replay/size_histogram.h"

#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "trace/trace_builder.h"

namespace heaptrail::analyzer {
namespace {

TEST(SizeHistogramTest, EmptyHasNoBuckets) {
  EXPECT_TRUE(SizeHistogram().Buckets().empty());
}

TEST(SizeHistogramTest, PowerOfTwoBucketsFromTheSmallestToTheLargest) {
  SizeHistogram histogram;
  for (uint64_t size : {0, 1, 2, 3, 3, 16, 31, 17}) histogram.Add(size);
  const std::vector<SizeBucket> expected = {
      {0, 0, 1, 0},   {1, 1, 1, 1},  {2, 3, 3, 8},
      {4, 7, 0, 0},   {8, 15, 0, 0},  // empty buckets between are kept
      {16, 31, 3, 64},
  };
  EXPECT_EQ(histogram.Buckets(), expected);
}

TEST(SizeHistogramTest, LargestBucketsAndBounds) {
  SizeHistogram histogram;
  histogram.Add(4096);
  histogram.Add(8191);
  EXPECT_EQ(histogram.Buckets(),
            (std::vector<SizeBucket>{{4096, 8191, 2, 12287}}));
  SizeHistogram top;
  top.Add(~uint64_t{0});
  EXPECT_EQ(top.Buckets(), (std::vector<SizeBucket>{
                               {uint64_t{1} << 63, ~uint64_t{0}, 1,
                                ~uint64_t{0}}}));
}

std::string RunReport(const std::vector<std::string>& extra,
                      const std::string& path) {
  std::vector<std::string> args = {"heaptrail", "report", path};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  EXPECT_EQ(RunCli(static_cast<int>(argv.size()), argv.data(), out, err,
                   /*err_is_terminal=*/false),
            0)
      << err.str();
  return out.str();
}

// Allocations of 24, 24, 100, 1000 B and a realloc to 5000 B (its new
// block counts as an allocation), with frees in between.
std::string WriteTrace() {
  testing::TraceBuilder b;
  b.StackNodes(1, {{0, 0, 0x1000}});
  b.Alloc(0, 1000, 0xa0, 24, 1)
      .Alloc(0, 2000, 0xb0, 24, 1)
      .Free(0, 3000, 0xa0)
      .Alloc(0, 4000, 0xc0, 100, 1)
      .Alloc(0, 5000, 0xd0, 1000, 1)
      .Free(0, 6000, 0xd0, format::FreeKind::kRealloc)
      .Alloc(0, 7000, 0xe0, 5000, 1, format::AllocKind::kRealloc);
  b.RoundEnd(8000).End(9000);
  const std::string path = ::testing::TempDir() + "/size_histogram_" +
                           std::to_string(getpid()) + ".trace";
  EXPECT_TRUE(b.WriteFile(path).ok());
  return path;
}

TEST(SizeHistogramTest, ReportJsonAndText) {
  const std::string path = WriteTrace();
  const nlohmann::json report =
      nlohmann::json::parse(RunReport({"--format", "json"}, path));
  const nlohmann::json expected = nlohmann::json::parse(R"([
      {"min": 16, "max": 31, "count": 2, "bytes": 48},
      {"min": 32, "max": 63, "count": 0, "bytes": 0},
      {"min": 64, "max": 127, "count": 1, "bytes": 100},
      {"min": 128, "max": 255, "count": 0, "bytes": 0},
      {"min": 256, "max": 511, "count": 0, "bytes": 0},
      {"min": 512, "max": 1023, "count": 1, "bytes": 1000},
      {"min": 1024, "max": 2047, "count": 0, "bytes": 0},
      {"min": 2048, "max": 4095, "count": 0, "bytes": 0},
      {"min": 4096, "max": 8191, "count": 1, "bytes": 5000}])");
  EXPECT_EQ(report["size_histogram"], expected);

  const std::string text = RunReport({}, path);
  const std::string table =
      "Allocation sizes (every allocation of the run)\n"
      "      FROM    BELOW        COUNT            BYTES\n"
      "      16 B     32 B            2               48  "
      "########################################\n"
      "      32 B     64 B            0                0\n"
      "      64 B    128 B            1              100  "
      "####################\n"
      "     128 B    256 B            0                0\n"
      "     256 B    512 B            0                0\n"
      "     512 B    1 KiB            1             1000  "
      "####################\n"
      "     1 KiB    2 KiB            0                0\n"
      "     2 KiB    4 KiB            0                0\n"
      "     4 KiB    8 KiB            1             5000  "
      "####################\n";
  EXPECT_NE(text.find(table), std::string::npos) << text;
}

}  // namespace
}  // namespace heaptrail::analyzer
