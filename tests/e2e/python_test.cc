// Python programs under `heaptrail run`: CPython's objects as blocks of
// their own (PYTHONMALLOC=malloc, set by `run`), not pymalloc's arenas.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

using nlohmann::json;

class PythonTest : public TempDirTest {};

// 20,000 objects kept in a list: 20,000 allocations of their own under
// `run`, a handful of arenas with --pymalloc.
TEST_F(PythonTest, RunMakesEveryObjectABlock) {
  const std::string script = "keep = [object() for _ in range(20000)]\nprint(len(keep))\n";
  auto allocations = [&](const std::vector<std::string>& options) {
    const std::string trace = dir_ + "/python.trace";
    std::vector<std::string> argv = {CliPath(), "run", "-o", trace};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"--", "/usr/bin/python3", "-c", script});
    ProcessResult run = RunProcess(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "20000\n");
    return Summary(trace)["allocations"].get<int64_t>();
  };
  const int64_t objects = allocations({});
  const int64_t arenas = allocations({"--pymalloc"});
  EXPECT_GE(objects - arenas, 20000) << objects << " against " << arenas;
  EXPECT_LT(arenas, 5000);
}

}  // namespace
}  // namespace heaptrail::testing
