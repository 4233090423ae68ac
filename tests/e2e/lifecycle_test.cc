// Process life cycle under the tracker: threads coming and going with
// thread-local destructors that allocate, child processes made every way,
// dlopen/dlclose, non-local exits, static constructors and destructors,
// programs that close or replace descriptors and that block every signal.
// Each sample says in its header what it allocates; the tests check those
// exact bytes and blocks at the sample's own lines.

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class LifecycleTest : public TempDirTest {
 protected:
  // Runs a sample under `heaptrail run`; checks it succeeded and printed
  // `expected_out`. Returns the trace path.
  std::string TraceSample(const std::vector<std::string>& sample_and_args,
                          const std::string& expected_out) {
    std::vector<std::string> program = sample_and_args;
    program[0] = SamplesDir() + "/" + program[0];
    std::string trace = dir_ + "/" + sample_and_args[0] + ".trace";
    ProcessResult run = RunUnderCli(program, trace);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, expected_out);
    EXPECT_TRUE(fs::exists(trace)) << run.err;
    return trace;
  }
};

TEST_F(LifecycleTest, ThreadsExitingMidRunWithAllocatingTlsDestructors) {
  std::string trace =
      TraceSample({"thread_lifecycle"}, "thread_lifecycle: 12 destructors allocated\n");
  EXPECT_EQ(MarkedSite(trace, "thread_lifecycle.cc", "tls-destructor-allocation"),
            (SiteTotals{12 * 1000 + 66, 12}));
  json summary = Report(trace)["summary"];
  EXPECT_EQ(summary["mismatched_frees"], 0);
  EXPECT_FALSE(summary["truncated"].get<bool>());
}

// Every way to make a child. Without --follow-fork only the parent is
// traced: one trace file, the parent's exact blocks, none of the child's.
// With it, the child gets a trace of its own.
struct ChildCase {
  std::string mode;
  std::string expected_out;
};

void PrintTo(const ChildCase& child, std::ostream* out) { *out << child.mode; }

class ChildProcessTest : public LifecycleTest, public ::testing::WithParamInterface<ChildCase> {};

TEST_P(ChildProcessTest, ParentTracedAloneWithExactBlocks) {
  const ChildCase& child = GetParam();
  std::string trace =
      TraceSample({"process_spawn", child.mode, SamplesDir() + "/empty"}, child.expected_out);
  json report = Report(trace, {"--at", "end", "--by", "line"});
  EXPECT_EQ(SiteAt(report, "process_spawn.c", LineOf("process_spawn.c", "parent-before")),
            (SiteTotals{111, 1}));
  EXPECT_EQ(SiteAt(report, "process_spawn.c", LineOf("process_spawn.c", "parent-after")),
            (SiteTotals{222, 1}));
  EXPECT_EQ(SiteAt(report, "process_spawn.c", LineOf("process_spawn.c", "child-allocation")),
            (SiteTotals{0, 0}));
  EXPECT_FALSE(report["summary"]["truncated"].get<bool>());
  EXPECT_EQ(FilesIn(dir_), std::vector<std::string>{"process_spawn.trace"});
}

// The forked child's trace holds its own block; an exec'd program's holds
// what `empty` allocates. The parent's trace is the same as without
// following, and `heaptrail run` names both files.
TEST_P(ChildProcessTest, FollowedChildGetsATraceOfItsOwn) {
  const ChildCase& child = GetParam();
  json baseline = BaselineSummary(dir_);
  std::string trace = dir_ + "/process_spawn.trace";
  ProcessResult run = RunProcess({CliPath(), "run", "--follow-fork", "-o", trace, "--",
                                  SamplesDir() + "/process_spawn", child.mode,
                                  SamplesDir() + "/empty"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, child.expected_out);
  std::vector<std::string> files = FilesIn(dir_);
  ASSERT_EQ(files.size(), 2u) << run.err;
  EXPECT_EQ(files[0], "process_spawn.trace");
  ASSERT_TRUE(files[1].starts_with("process_spawn.trace.")) << files[1];
  std::string child_trace = dir_ + "/" + files[1];
  EXPECT_NE(run.err.find(child_trace), std::string::npos) << run.err;

  EXPECT_EQ(MarkedSite(trace, "process_spawn.c", "parent-before"), (SiteTotals{111, 1}));
  EXPECT_EQ(MarkedSite(trace, "process_spawn.c", "parent-after"), (SiteTotals{222, 1}));
  EXPECT_EQ(MarkedSite(trace, "process_spawn.c", "child-allocation"), (SiteTotals{0, 0}));
  json summary = Summary(child_trace);
  if (child.mode == "fork") {
    EXPECT_EQ(MarkedSite(child_trace, "process_spawn.c", "child-allocation"),
              (SiteTotals{5000, 1}));
    EXPECT_EQ(summary["allocations"], 1);
  } else {
    for (const char* key : {"allocations", "allocated_bytes", "leaked_bytes"}) {
      EXPECT_EQ(summary[key], baseline[key]) << key;
    }
  }
  EXPECT_FALSE(summary["truncated"].get<bool>());
}

INSTANTIATE_TEST_SUITE_P(
    AllWays, ChildProcessTest,
    ::testing::Values(ChildCase{"fork", "process_spawn fork: child exited 3\n"},
                      ChildCase{"fork_exec", "process_spawn fork_exec: child exited 0\n"},
                      ChildCase{"vfork", "process_spawn vfork: child exited 0\n"},
                      ChildCase{"posix_spawn", "process_spawn posix_spawn: child exited 0\n"}),
    [](const ::testing::TestParamInfo<ChildCase>& child) { return child.param.mode; });

// The blocks outlive their library: they are still symbolized to the exact
// line of the unloaded library, and the second library, loaded where the
// first was, gets its own.
TEST_F(LifecycleTest, BlocksOfUnloadedLibrariesKeepExactLines) {
  std::string trace =
      TraceSample({"dlopen_unload", SamplesDir() + "/plugin_first.so",
                   SamplesDir() + "/plugin_second.so"},
                  "dlopen_unload: done\n");
  json report = Report(trace, {"--at", "end", "--by", "line"});
  EXPECT_EQ(SiteAt(report, "plugin_first.c", LineOf("plugin_first.c", "first-plugin-allocation")),
            (SiteTotals{600, 2}));
  EXPECT_EQ(
      SiteAt(report, "plugin_second.c", LineOf("plugin_second.c", "second-plugin-allocation")),
      (SiteTotals{77, 1}));
}

TEST_F(LifecycleTest, LongjmpAndExceptionsThroughAllocatingFrames) {
  std::string trace = TraceSample({"unwinding"}, "unwinding: caught unwinding\n");
  json report = Report(trace, {"--at", "end", "--by", "line"});
  auto at = [&](const char* marker) {
    return SiteAt(report, "unwinding.cc", LineOf("unwinding.cc", marker));
  };
  EXPECT_EQ(at("before-longjmp"), (SiteTotals{200, 5}));
  EXPECT_EQ(at("after-longjmp"), (SiteTotals{41, 1}));
  EXPECT_EQ(at("guarded"), (SiteTotals{0, 0}));
  EXPECT_EQ(at("after-exception"), (SiteTotals{43, 1}));
  EXPECT_EQ(report["summary"]["mismatched_frees"], 0);
}

TEST_F(LifecycleTest, StaticConstructorsAndDestructorsAllocate) {
  std::string trace = TraceSample({"static_lifetime"}, "static_lifetime: constructed\n");
  json report = Report(trace, {"--at", "end", "--by", "line"});
  auto at = [&](const char* marker) {
    return SiteAt(report, "static_lifetime.cc", LineOf("static_lifetime.cc", marker));
  };
  EXPECT_EQ(at("static-constructor"), (SiteTotals{123, 1}));
  EXPECT_EQ(at("static-destructor"), (SiteTotals{456, 1}));
  EXPECT_EQ(at("static-member"), (SiteTotals{0, 0}));
}

// Exit after the tracker's destructor: libraries' destructors that the
// loader runs later (linked or dlopen'ed), C++ statics destroyed in their
// library's __cxa_finalize, the main thread's thread_local destructors and
// exit handlers registered before any constructor (late_exit.c). Every
// block those stages allocate or free is in the trace; with a ring of 256
// bytes, the late events overflow it many times after the writer thread
// has stopped.
class LateExitTest : public LifecycleTest,
                     public ::testing::WithParamInterface<std::string> {};

TEST_P(LateExitTest, EveryStageAfterTheTrackersDestructorIsRecorded) {
  const std::string library = SamplesDir() + "/liblate_free.so";
  for (const char* buffer_size : {"262144", "256"}) {
    SCOPED_TRACE(std::string("HEAPTRAIL_BUFFER_SIZE=") + buffer_size);
    std::vector<std::string> program = {SamplesDir() + "/" + GetParam()};
    if (GetParam() == "late_exit_dlopen") program.push_back(library);
    std::string trace = dir_ + "/" + GetParam() + buffer_size + ".trace";
    ProcessResult run =
        RunUnderCli(program, trace, {std::string("HEAPTRAIL_BUFFER_SIZE=") + buffer_size});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "late_exit: 1001 entries\nlate_exit: last handler\n");

    json end = Report(trace, {"--at", "end", "--by", "line"});
    json peak = Report(trace, {"--at", "peak", "--by", "line"});
    auto at = [](const json& report, const std::string& source, const char* marker) {
      return SiteAt(report, source, LineOf(source, marker));
    };
    // A library destructor after ours frees blocks of its constructor and
    // of the program's, and allocates.
    EXPECT_EQ(at(peak, "late_free_lib.c", "late-lib-constructor"), (SiteTotals{3003, 3}));
    EXPECT_EQ(at(end, "late_free_lib.c", "late-lib-constructor"), (SiteTotals{0, 0}));
    EXPECT_EQ(at(peak, "late_free_lib.c", "late-lib-early"), (SiteTotals{6000, 4}));
    EXPECT_EQ(at(end, "late_free_lib.c", "late-lib-early"), (SiteTotals{0, 0}));
    EXPECT_EQ(at(end, "late_free_lib.c", "late-lib-destructor"), (SiteTotals{2002, 1}));
    // A static std::map destroyed in its library's __cxa_finalize: 1000
    // nodes of 32 + 4 + 100 bytes (libstdc++'s red-black node, the key, the
    // value), allocated inside libstdc++'s headers, so credited to the
    // marked line with --cumulative.
    json peak_cumulative = Report(trace, {"--at", "peak", "--by", "line", "--cumulative"});
    json end_cumulative = Report(trace, {"--at", "end", "--by", "line", "--cumulative"});
    EXPECT_EQ(at(peak_cumulative, "late_statics_lib.cc", "late-map-node"),
              (SiteTotals{136000, 1000}));
    EXPECT_EQ(at(end_cumulative, "late_statics_lib.cc", "late-map-node"), (SiteTotals{0, 0}));
    EXPECT_EQ(at(end, "late_statics_lib.cc", "late-static-destructor"), (SiteTotals{3003, 1}));
    // The main thread's thread_local destructor.
    EXPECT_EQ(at(end, "late_statics_lib.cc", "late-tls-block"), (SiteTotals{0, 0}));
    EXPECT_EQ(at(end, "late_statics_lib.cc", "late-tls-destructor"), (SiteTotals{888, 1}));
    // Exit handlers registered before every constructor.
    EXPECT_EQ(at(end, "late_exit.c", "early-atexit-kept"), (SiteTotals{5005, 1}));
    EXPECT_EQ(at(end, "late_exit.c", "early-handler-kept"), (SiteTotals{7007, 1}));
    for (const char* marker : {"early-atexit-temporary", "early-handler-temporary"}) {
      EXPECT_EQ(at(end, "late_exit.c", marker), (SiteTotals{0, 0})) << marker;
    }
    json summary = end["summary"];
    EXPECT_EQ(summary["unknown_frees"], 0);
    EXPECT_EQ(summary["mismatched_frees"], 0);
    EXPECT_FALSE(summary["truncated"].get<bool>());
  }
}

INSTANTIATE_TEST_SUITE_P(LinkedAndDlopened, LateExitTest,
                         ::testing::Values("late_exit", "late_exit_dlopen"),
                         [](const ::testing::TestParamInfo<std::string>& sample) {
                           return sample.param;
                         });

// Children made without fork() (clone_process.c), traced alone and with
// --follow-fork: the parent's trace is exact and never gets the child's
// events; a child made by glibc's clone() is followed like a forked one; a
// child made by the system call itself cannot be followed and stays silent;
// a CLONE_VM child's blocks are the parent's heap. And a single-threaded
// program stays so: the tracker adds no thread to it.
struct CloneCase {
  std::string mode;
  std::string expected_out;
  SiteTotals vm_child_block;        // in the parent's trace
  bool followed_child_has_a_trace;
};

void PrintTo(const CloneCase& clone, std::ostream* out) { *out << clone.mode; }

class CloneProcessTest : public LifecycleTest, public ::testing::WithParamInterface<CloneCase> {};

TEST_P(CloneProcessTest, ParentTraceExactChildFollowedWhenItCanBe) {
  const CloneCase& clone = GetParam();
  for (bool follow : {false, true}) {
    SCOPED_TRACE(follow ? "--follow-fork" : "alone");
    fs::path traces = dir_ + (follow ? "/followed" : "/alone");
    fs::create_directories(traces);
    std::vector<std::string> extra_env;
    if (follow) extra_env.push_back("HEAPTRAIL_FOLLOW_FORK=1");
    ProcessResult run = RunUnderCli({SamplesDir() + "/clone_process", clone.mode},
                                    (traces / "t.%p.trace").string(), extra_env);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, clone.expected_out);
    std::vector<std::string> files = FilesIn(traces.string());
    ASSERT_EQ(files.size(), follow && clone.followed_child_has_a_trace ? 2u : 1u);
    // The parent's pid is the smaller one here: it made the child.
    std::string parent = (traces / files[0]).string();
    json report = Report(parent, {"--at", "end", "--by", "line"});
    auto at = [&](const json& r, const char* marker) {
      return SiteAt(r, "clone_process.c", LineOf("clone_process.c", marker));
    };
    EXPECT_EQ(at(report, "parent-block"), (SiteTotals{100, 10}));
    EXPECT_EQ(at(report, "vm-child-block"), clone.vm_child_block);
    EXPECT_EQ(at(report, "clone-child-block"), (SiteTotals{0, 0}));
    EXPECT_FALSE(report["summary"]["truncated"].get<bool>());
    if (files.size() == 2) {
      json child = Report((traces / files[1]).string(), {"--at", "end", "--by", "line"});
      EXPECT_EQ(at(child, "clone-child-block"), (SiteTotals{4321, 1}));
      EXPECT_EQ(at(child, "parent-block"), (SiteTotals{0, 0}));
      EXPECT_EQ(child["summary"]["allocations"], 100001);
      EXPECT_FALSE(child["summary"]["truncated"].get<bool>());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    WithoutFork, CloneProcessTest,
    ::testing::Values(CloneCase{"clone", "child exit 7\n", {0, 0}, true},
                      CloneCase{"raw", "child exit 7\n", {0, 0}, false},
                      CloneCase{"vm", "child exit 7\n", {555, 1}, false},
                      CloneCase{"single", "single-threaded\n", {0, 0}, false}),
    [](const ::testing::TestParamInfo<CloneCase>& clone) { return clone.param.mode; });

TEST_F(LifecycleTest, TenThousandShortLivedThreads) {
  std::string trace = TraceSample({"thread_storm"}, "thread_storm: 10000 threads\n");
  json report = Report(trace, {"--at", "end", "--by", "line"});
  auto at = [&](const char* marker) {
    return SiteAt(report, "thread_storm.c", LineOf("thread_storm.c", marker));
  };
  EXPECT_EQ(at("storm-kept"), (SiteTotals{160000, 10000}));
  EXPECT_EQ(at("storm-temporary"), (SiteTotals{0, 0}));
  EXPECT_EQ(report["summary"]["threads"], 10001);
}

// A program linked with jemalloc or tcmalloc keeps its allocator: every
// block is forwarded to it and every one recorded.
class OtherAllocatorTest : public LifecycleTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(OtherAllocatorTest, EveryBlockRecorded) {
  if (!fs::exists(SamplesDir() + "/" + GetParam())) {
    GTEST_SKIP() << GetParam() << " not built: install libjemalloc2 and libgoogle-perftools4 "
                 << "(scripts/setup.sh)";
  }
  std::string trace = TraceSample({GetParam()}, "other_allocator: done\n");
  json report = Report(trace, {"--at", "end", "--by", "line"});
  auto at = [&](const char* marker) {
    return SiteAt(report, "other_allocator.c", LineOf("other_allocator.c", marker));
  };
  EXPECT_EQ(at("kept-block"), (SiteTotals{308, 4}));
  EXPECT_EQ(at("temporary-block"), (SiteTotals{0, 0}));
  json summary = report["summary"];
  EXPECT_GE(summary["temporary_allocations"].get<int64_t>(), 400000);
  EXPECT_EQ(summary["mismatched_frees"], 0);
  EXPECT_EQ(summary["unknown_frees"], 0);
}

INSTANTIATE_TEST_SUITE_P(JemallocAndTcmalloc, OtherAllocatorTest,
                         ::testing::Values("with_jemalloc", "with_tcmalloc"),
                         [](const ::testing::TestParamInfo<std::string>& sample) {
                           return sample.param;
                         });

// A seccomp filter that kills the process when it opens a file: the
// tracker reads what it needs of /proc before the program runs.
TEST_F(LifecycleTest, SandboxThatForbidsOpeningFiles) {
  std::string trace = TraceSample({"seccomp_sandbox"},
                                  "seccomp_sandbox: sandboxed\nseccomp_sandbox: done\n");
  json report = Report(trace, {"--at", "end", "--by", "line"});
  auto at = [&](const char* marker) {
    return SiteAt(report, "seccomp_sandbox.c", LineOf("seccomp_sandbox.c", marker));
  };
  EXPECT_EQ(at("sandboxed-block"), (SiteTotals{3333, 1}));
  EXPECT_EQ(at("sandboxed-temporary"), (SiteTotals{0, 0}));
  EXPECT_GE(report["summary"]["temporary_allocations"].get<int64_t>(), 100000);
  EXPECT_FALSE(report["summary"]["truncated"].get<bool>());
}

// glibc's own blocks (stdio, NSS, locale, time zone, the loader's error
// string) are released by __libc_freeres before the last flush, as valgrind
// does: only the program's block is live at the end, as memcheck says.
TEST_F(LifecycleTest, GlibcBlocksAreReleasedAtExitAsValgrindDoes) {
  std::string trace = dir_ + "/libc_blocks.trace";
  ProcessResult run = RunUnderCli({SamplesDir() + "/libc_blocks"}, trace, {"TZ=UTC"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "libc_blocks: root 1970-01-01 dlerror\n");
  json report = Report(trace, {"--at", "end", "--by", "line"});
  EXPECT_EQ(SiteAt(report, "libc_blocks.c", LineOf("libc_blocks.c", "kept-block")),
            (SiteTotals{4242, 1}));
  EXPECT_EQ(report["summary"]["leaked_bytes"], 4242);
  EXPECT_EQ(report["summary"]["leaked_blocks"], 1);
  EXPECT_EQ(report["summary"]["unknown_frees"], 0);
  ProcessResult memcheck =
      RunProcess({"valgrind", SamplesDir() + "/libc_blocks"}, {"TZ=UTC"});
  ASSERT_EQ(memcheck.exit_code, 0) << memcheck.err;
  EXPECT_NE(memcheck.err.find("in use at exit: 4,242 bytes in 1 blocks"), std::string::npos)
      << memcheck.err;
}

// A library in a namespace of its own (dlmopen) brings its own libc, out
// of the preload's reach: it runs unharmed and the program's blocks are
// exact. With LD_BIND_NOW=1 every symbol, the hooks' included, is bound at
// start-up: the same blocks.
TEST_F(LifecycleTest, DlmopenNamespaceAndBindNow) {
  for (const char* bind_now : {"", "1"}) {
    SCOPED_TRACE(std::string("LD_BIND_NOW=") + bind_now);
    std::string trace = dir_ + "/dlmopen" + bind_now + ".trace";
    ProcessResult run = RunUnderCli(
        {SamplesDir() + "/dlmopen_namespace", SamplesDir() + "/liblate_free.so"}, trace,
        {std::string("LD_BIND_NOW=") + bind_now});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "dlmopen_namespace: done\n");
    json report = Report(trace, {"--at", "end", "--by", "line"});
    EXPECT_EQ(SiteAt(report, "dlmopen_namespace.c",
                     LineOf("dlmopen_namespace.c", "main-namespace-block")),
              (SiteTotals{250, 5}));
    EXPECT_EQ(SiteAt(report, "late_free_lib.c", LineOf("late_free_lib.c", "late-lib-early")),
              (SiteTotals{0, 0}));
    EXPECT_EQ(report["summary"]["unknown_frees"], 0);
    EXPECT_FALSE(report["summary"]["truncated"].get<bool>());
  }
}

// fd_hostile's blocks from before and after it touched the descriptors, all
// in a complete trace.
void ExpectFdHostileBlocks(const std::string& trace) {
  json report = Report(trace, {"--at", "end", "--by", "line"});
  EXPECT_EQ(SiteAt(report, "fd_hostile.c", LineOf("fd_hostile.c", "before-descriptors")),
            (SiteTotals{1000, 10}));
  EXPECT_EQ(SiteAt(report, "fd_hostile.c", LineOf("fd_hostile.c", "after-descriptors")),
            (SiteTotals{2000, 10}));
  EXPECT_FALSE(report["summary"]["truncated"].get<bool>());
}

// The descriptor is moved to >= 1000; a program that closes it anyway or
// dup2's its own file over it must neither lose its data nor the trace.
TEST_F(LifecycleTest, ProgramClosesEveryDescriptor) {
  std::string trace = TraceSample({"fd_hostile", "close_all"}, "fd_hostile: closed all\n");
  ExpectFdHostileBlocks(trace);
}

TEST_F(LifecycleTest, ProgramDup2sOverTheTraceDescriptor) {
  std::string own = dir_ + "/own.txt";
  std::string trace = TraceSample({"fd_hostile", "dup2", own},
                                  "fd_hostile: file holds 23 bytes: the program's own data\n");
  EXPECT_EQ(ReadFile(own), "the program's own data\n");
  ExpectFdHostileBlocks(trace);
}

TEST_F(LifecycleTest, ProgramBlockingEverySignal) {
  std::string trace = TraceSample({"block_signals"}, "block_signals: done\n");
  json report = Report(trace, {"--at", "end", "--by", "line"});
  EXPECT_EQ(SiteAt(report, "block_signals.c", LineOf("block_signals.c", "thread-block")),
            (SiteTotals{256, 4}));
  EXPECT_EQ(SiteAt(report, "block_signals.c", LineOf("block_signals.c", "main-block")),
            (SiteTotals{32, 1}));
  // The API snapshot works; the blocked signal never arrives.
  EXPECT_EQ(MarkedSite(trace, "block_signals.c", "main-block", "1"), (SiteTotals{32, 1}));
  json snapshots = Snapshots(trace);
  EXPECT_EQ(snapshots.size(), 1u) << snapshots.dump();
}

}  // namespace
}  // namespace heaptrail::testing
