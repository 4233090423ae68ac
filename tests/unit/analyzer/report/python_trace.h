// A synthetic trace of a Python program, as the recorder writes one (format
// 5): the interpreter, its code objects, and stacks where Python frames
// replace the eval loop's native frames. Shared by the report and export
// tests (PythonTraceTest); native frames come from a FakeSymbolSource.
//
// leaky.py, run by /usr/bin/python3.11:
//   1  <module>: ... line 12 calls main()
//   8  def main(): line 9 calls load()
//   3  def load(): line 4 calls _ext.make_buffer(), line 5 bytearray(100000),
//      and one instruction without a line allocates 64 bytes
//
// Stacks (innermost first), all live at the end:
//   kBytearray  malloc <- PyByteArray_Resize <- bytearray_init <-
//               _PyObject_MakeTpCall <- [load:5] <- [main:9] <-
//               [<module>:12] <- Py_BytesMain <- __libc_start_call_main
//                                                        100000 B, 1 block
//   kExtension  malloc <- ext_make_buffer (_ext.so, ext.c:42) <-
//               cfunction_vectorcall_O <- [load:4] <- [main:9] <- ...
//                                                          5000 B, 1 block
//   kStartup    malloc <- pymain_init <- Py_BytesMain <- ...  300 B, 1 block
//   kNoLine     malloc <- PyByteArray_Resize <- [load, no line] <-
//               [main:9] <- ...                              64 B, 1 block
// [...] are Python frames; the other frames but libc's are the interpreter's.

#ifndef HEAPTRAIL_TESTS_UNIT_ANALYZER_REPORT_PYTHON_TRACE_H_
#define HEAPTRAIL_TESTS_UNIT_ANALYZER_REPORT_PYTHON_TRACE_H_

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "heaptrail/trace_format.h"
#include "replay/trace_analysis.h"
#include "symbolize/fake_symbol_source.h"
#include "trace/trace_builder.h"

namespace heaptrail::analyzer::testing {

inline constexpr char kPythonExe[] = "/usr/bin/python3.11";
inline constexpr char kPythonLibc[] = "/lib/x86_64-linux-gnu/libc.so.6";
inline constexpr char kPythonExtension[] =
    "/srv/app/_ext.cpython-311-x86_64-linux-gnu.so";
inline constexpr uint64_t kExeBias = 0x55d0'0000'0000;
inline constexpr uint64_t kLibcBias = 0x7f10'0000'0000;
inline constexpr uint64_t kExtensionBias = 0x7f20'0000'0000;
// _PyRuntime, in the executable's data segment.
inline constexpr uint64_t kRuntimeAddress = kExeBias + 0x50'1000;

struct PythonTrace {
  enum Stack : uint32_t {
    kBytearray = 9,
    kExtension = 13,
    kStartup = 15,
    kNoLine = 18,
  };

  // Writes the trace under `name` and analyzes it. Without the interpreter
  // record, the interpreter's frames are frames like any other.
  static std::unique_ptr<TraceAnalysis> Analyze(const std::string& name,
                                                bool with_interpreter = true) {
    TraceBuilder b;
    b.ProcessInfo(kPythonExe, {"python3", "leaky.py"});
    const auto module = [&b](uint64_t id, const char* path, uint64_t bias,
                             std::vector<Segment> segments) {
      ModuleInfo info;
      info.path = path;
      info.load_bias = bias;
      info.segments = std::move(segments);
      b.ModuleLoad(id, 0, info);
    };
    module(1, kPythonExe, kExeBias,
           {{0, 0x40'0000, 0, 5}, {0x50'0000, 0x2'0000, 0x40'0000, 6}});
    module(2, kPythonLibc, kLibcBias, {{0, 0x10'0000, 0, 5}});
    module(3, kPythonExtension, kExtensionBias, {{0, 0x1000, 0, 5}});
    if (with_interpreter) b.PythonInterpreter(0x030b02f0, kRuntimeAddress);

    const auto python = [](uint32_t code, int64_t offset) {
      return format::MakePythonFrameIp(code, static_cast<uint32_t>(offset + 2));
    };
    const uint64_t exe = kExeBias, libc = kLibcBias;
    // clang-format off
    b.StackNodes(1, {
        {0, 0, libc + 0x100},            //  1 __libc_start_call_main
        {1, 0, exe + 0x1000},            //  2 Py_BytesMain
        {2, 0, python(1, 4)},            //  3 <module>:12
        {3, 0, python(2, 2)},            //  4 main:9
        {4, 0, python(3, 6)},            //  5 load:5
        {5, 0, exe + 0x3000},            //  6 _PyObject_MakeTpCall
        {6, 0, exe + 0x3100},            //  7 bytearray_init
        {7, 0, exe + 0x3200},            //  8 PyByteArray_Resize
        {8, 0, libc + 0x500},            //  9 malloc
        {4, 0, python(3, 0)},            // 10 load:4
        {10, 0, exe + 0x3400},           // 11 cfunction_vectorcall_O
        {11, 0, kExtensionBias + 0x100}, // 12 ext_make_buffer
        {12, 0, libc + 0x500},           // 13 malloc
        {2, 0, exe + 0x5000},            // 14 pymain_init
        {14, 0, libc + 0x500},           // 15 malloc
        {4, 0, python(3, 12)},           // 16 load, no line
        {16, 0, exe + 0x3200},           // 17 PyByteArray_Resize
        {17, 0, libc + 0x500},           // 18 malloc
    });
    // clang-format on
    // As the recorder may: code objects after the nodes that use them.
    b.PythonCode(1, 1, "leaky.py", "<module>",
                 TraceBuilder::PythonLineTable({{8, 11}}));
    b.PythonCode(2, 8, "leaky.py", "main",
                 TraceBuilder::PythonLineTable({{4, 1}}));
    b.PythonCode(3, 3, "leaky.py", "load",
                 TraceBuilder::PythonLineTable({{2, 1}, {4, 1}, {1, 0, true}}));
    b.Alloc(0, 1'000'000, 0xc000, 300, kStartup)
        .Alloc(0, 2'000'000, 0xb000, 5000, kExtension)
        .Alloc(0, 3'000'000, 0xa000, 100000, kBytearray)
        .Alloc(0, 4'000'000, 0xd000, 64, kNoLine);
    b.RoundEnd(5'000'000).End(6'000'000);
    const std::string path = ::testing::TempDir() + "/python_trace_" +
                             std::to_string(getpid()) + "_" + name;
    EXPECT_TRUE(b.WriteFile(path).ok());
    absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis =
        AnalyzeTrace(path);
    EXPECT_TRUE(analysis.ok()) << analysis.status();
    std::remove(path.c_str());
    return analysis.ok() ? std::move(*analysis) : nullptr;
  }

  // The native frames of the trace's addresses.
  static void SetFrames(FakeSymbolSource& symbols) {
    const auto set = [&symbols](const char* path, uint64_t address,
                                const char* function, const char* file = "",
                                uint32_t line = 0) {
      symbols.Set(path, address, {Frame(function, file, line, path)});
    };
    set(kPythonLibc, kLibcBias + 0x100, "__libc_start_call_main");
    set(kPythonLibc, kLibcBias + 0x500, "malloc");
    set(kPythonExe, kExeBias + 0x1000, "Py_BytesMain");
    set(kPythonExe, kExeBias + 0x3000, "_PyObject_MakeTpCall");
    set(kPythonExe, kExeBias + 0x3100, "bytearray_init");
    set(kPythonExe, kExeBias + 0x3200, "PyByteArray_Resize");
    set(kPythonExe, kExeBias + 0x3400, "cfunction_vectorcall_O");
    set(kPythonExe, kExeBias + 0x5000, "pymain_init");
    set(kPythonExtension, kExtensionBias + 0x100, "ext_make_buffer", "ext.c",
        42);
  }
};

// A test with the trace analyzed (one file per test) and its native frames.
class PythonTraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PythonTrace::SetFrames(symbols_);
    analysis_ = PythonTrace::Analyze(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_NE(analysis_, nullptr);
  }

  FakeSymbolSource symbols_;
  std::unique_ptr<TraceAnalysis> analysis_;
};

}  // namespace heaptrail::analyzer::testing

#endif  // HEAPTRAIL_TESTS_UNIT_ANALYZER_REPORT_PYTHON_TRACE_H_
