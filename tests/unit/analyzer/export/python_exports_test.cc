// The exports of a trace with Python frames (report/python_trace.h): each
// stack starts at its site, as in a report; Python frames are named by
// qualified name and file, and carry no machine address.

#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "export/collapsed.h"
#include "export/massif.h"
#include "export/pprof.h"
#include "export/speedscope.h"
#include "export/user_frames.h"
#include "gtest/gtest.h"
#include "report/python_trace.h"

namespace heaptrail::analyzer {
namespace {

using testing::kExtensionBias;
using testing::PythonTrace;

class PythonExportsTest : public testing::PythonTraceTest {
 protected:
  void SetUp() override {
    PythonTraceTest::SetUp();
    if (HasFatalFailure()) return;
    symbolizer_ = std::make_unique<StackSymbolizer>(
        analysis_->stacks, analysis_->modules, analysis_->python, symbols_);
  }

  std::unique_ptr<StackSymbolizer> symbolizer_;
};

TEST_F(PythonExportsTest, CollapsedStacksStartAtThePythonLine) {
  std::ostringstream out;
  WriteCollapsed(analysis_->heap.LiveNow(), analysis_->stacks, *symbolizer_,
                 out);
  // load:5 and load's line-less instruction fold alike: lines are not part
  // of folded names.
  EXPECT_EQ(out.str(),
            "__libc_start_call_main;Py_BytesMain;<module> (leaky.py);"
            "main (leaky.py);load (leaky.py) 100064\n"
            "__libc_start_call_main;Py_BytesMain;<module> (leaky.py);"
            "main (leaky.py);load (leaky.py);cfunction_vectorcall_O;"
            "ext_make_buffer 5000\n"
            "__libc_start_call_main;Py_BytesMain;pymain_init 300\n");
}

TEST_F(PythonExportsTest, UserFramesKeepTheirNodes) {
  const std::vector<UserFrame> frames =
      UserFrames(PythonTrace::kBytearray, analysis_->stacks, *symbolizer_);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[0].node, 5u);  // the Python frame load:5
  EXPECT_TRUE(frames[0].frame->python);
  EXPECT_EQ(frames[4].node, 1u);
}

TEST_F(PythonExportsTest, SpeedscopeFramesHaveFileAndLine) {
  const nlohmann::json profile = SpeedscopeProfile(
      analysis_->heap.LiveNow(), analysis_->stacks, *symbolizer_, "leaks");
  std::map<std::string, nlohmann::json> by_name;
  for (const nlohmann::json& frame : profile["shared"]["frames"]) {
    by_name[frame["name"].get<std::string>() +
            (frame.contains("line") ? ":" + frame["line"].dump() : "")] = frame;
  }
  ASSERT_TRUE(by_name.contains("load:5"));
  EXPECT_EQ(by_name["load:5"]["file"], "leaky.py");
  ASSERT_TRUE(by_name.contains("load:4"));
  ASSERT_TRUE(by_name.contains("load"));  // the instruction without a line
  EXPECT_EQ(by_name["load"]["file"], "leaky.py");
  EXPECT_FALSE(by_name.contains("PyByteArray_Resize"));
  EXPECT_TRUE(by_name.contains("cfunction_vectorcall_O"));
}

TEST_F(PythonExportsTest, MassifNamesPythonFramesWithoutAnAddress) {
  std::ostringstream out;
  WriteMassif(*analysis_, *symbolizer_, out);
  const std::string massif = out.str();
  EXPECT_NE(massif.find(" 100000 0x00000000: load (leaky.py:5)\n"),
            std::string::npos)
      << massif;
  EXPECT_NE(massif.find(" 5000 0x7f2000000100: ext_make_buffer (ext.c:42)\n"),
            std::string::npos)
      << massif;
}

// ---------------------------------------------------------------------------
// pprof, read back with a minimal protobuf wire-format reader
// ---------------------------------------------------------------------------

struct Field {
  uint32_t number;
  uint64_t value;          // varint fields
  std::string_view bytes;  // length-delimited fields
};

std::vector<Field> Fields(std::string_view message) {
  std::vector<Field> fields;
  size_t pos = 0;
  const auto varint = [&]() {
    uint64_t value = 0;
    for (int shift = 0; pos < message.size(); shift += 7) {
      const auto byte = static_cast<uint8_t>(message[pos++]);
      value |= uint64_t{byte & 0x7fu} << shift;
      if (byte < 0x80) break;
    }
    return value;
  };
  while (pos < message.size()) {
    const uint64_t key = varint();
    Field field{static_cast<uint32_t>(key >> 3), 0, {}};
    if ((key & 7) == 0) {
      field.value = varint();
    } else if ((key & 7) == 2) {
      const uint64_t size = varint();
      field.bytes = message.substr(pos, size);
      pos += size;
    } else {
      ADD_FAILURE() << "unexpected wire type " << (key & 7);
      return fields;
    }
    fields.push_back(field);
  }
  return fields;
}

TEST_F(PythonExportsTest, PprofPythonLocationsHaveLinesButNoAddress) {
  const std::string profile = BuildPprofProfile(
      *analysis_, analysis_->heap.LiveNow(), "end", 0.006, *symbolizer_);
  std::vector<std::string> strings;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> functions;  // name, file
  std::vector<std::string_view> locations;
  for (const Field& field : Fields(profile)) {
    if (field.number == 6) strings.emplace_back(field.bytes);
    if (field.number == 4) locations.push_back(field.bytes);
    if (field.number == 5) {
      uint64_t id = 0, name = 0, file = 0;
      for (const Field& f : Fields(field.bytes)) {
        if (f.number == 1) id = f.value;
        if (f.number == 2) name = f.value;
        if (f.number == 4) file = f.value;
      }
      functions[id] = {name, file};
    }
  }
  // Each location: "function file:line" of its lines, its mapping and
  // address.
  struct Location {
    std::string lines;
    uint64_t mapping = 0;
    uint64_t address = 0;
  };
  std::map<std::string, Location> by_lines;
  for (std::string_view bytes : locations) {
    Location location;
    for (const Field& f : Fields(bytes)) {
      if (f.number == 2) location.mapping = f.value;
      if (f.number == 3) location.address = f.value;
      if (f.number != 4) continue;
      uint64_t function = 0, line = 0;
      for (const Field& g : Fields(f.bytes)) {
        if (g.number == 1) function = g.value;
        if (g.number == 2) line = g.value;
      }
      location.lines = strings.at(functions.at(function).first) + " " +
                       strings.at(functions.at(function).second) + ":" +
                       std::to_string(line);
    }
    by_lines[location.lines] = location;
  }
  ASSERT_TRUE(by_lines.contains("load leaky.py:5"));
  EXPECT_EQ(by_lines["load leaky.py:5"].mapping, 0u);
  EXPECT_EQ(by_lines["load leaky.py:5"].address, 0u);
  ASSERT_TRUE(by_lines.contains("<module> leaky.py:12"));
  EXPECT_EQ(by_lines["<module> leaky.py:12"].address, 0u);
  ASSERT_TRUE(by_lines.contains("load leaky.py:0"));
  ASSERT_TRUE(by_lines.contains("ext_make_buffer ext.c:42"));
  EXPECT_NE(by_lines["ext_make_buffer ext.c:42"].mapping, 0u);
  EXPECT_EQ(by_lines["ext_make_buffer ext.c:42"].address,
            kExtensionBias + 0x100);
  EXPECT_FALSE(by_lines.contains("PyByteArray_Resize :0"));
  EXPECT_FALSE(by_lines.contains("malloc :0"));
}

}  // namespace
}  // namespace heaptrail::analyzer
