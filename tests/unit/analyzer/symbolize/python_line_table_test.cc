// PythonLineAt: each entry form by hand, hostile tables, and the truth:
// every instruction offset of every code object of a few stdlib modules,
// compared with what real interpreters (3.11, 3.12, 3.13) answer through
// PyCode_Addr2Line, co_lines() and co_positions().

#include "symbolize/python_line_table.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "strip_python_columns.h"
#include "trace/trace_builder.h"

namespace heaptrail::analyzer {
namespace {

using testing::TraceBuilder;

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

TEST(PythonLineTableTest, EveryEntryFormMovesTheLineAsDocumented) {
  // first line 10:
  //   short form (code 3), 2 units, 1 column byte          -> line 10
  //   one-line form (code 12), 1 unit, 2 column bytes       -> line 12
  //   no columns (code 13), delta -3, 3 units               -> line 9
  //   long form (code 14), delta +40 (two varint groups),
  //     end line, column and end column varints, 1 unit     -> line 49
  //   no location (code 15), 2 units                        -> none
  //   one-line form (code 10), 1 unit                       -> line 49
  // clang-format off
  const std::vector<uint8_t> table = {
      0x80 | 3 << 3 | 1,  0x05,                    // short
      0x80 | 12 << 3 | 0, 0x04, 0x09,              // one-line, +2
      0x80 | 13 << 3 | 2, 0x07,                    // -3: zigzag 7
      0x80 | 14 << 3 | 0, 0x50, 0x01, 0x00, 0x05,  // +40: zigzag 80
      0x07,                                        // end column
      0x80 | 15 << 3 | 1,                          // no location
      0x80 | 10 << 3 | 0, 0x01, 0x02,              // one-line, +0
  };
  const std::vector<std::pair<int64_t, int64_t>> expected = {
      {-2, 10}, {0, 10}, {2, 10}, {4, 12}, {6, 9}, {10, 9}, {12, 49},
      {14, kNoPythonLine}, {16, kNoPythonLine}, {18, 49},
      {20, kNoPythonLine},  // past the end
  };
  // clang-format on
  for (const auto& [offset, line] : expected) {
    EXPECT_EQ(PythonLineAt(table, 10, offset), line) << "offset " << offset;
  }
  // An odd offset (never recorded) is inside its unit.
  EXPECT_EQ(PythonLineAt(table, 10, 5), 12);
}

TEST(PythonLineTableTest, NoLocationEntriesKeepTheRunningLine) {
  // CPython adds code 15's (zero) delta too: the next entry counts from the
  // line before the gap.
  const std::string table =
      TraceBuilder::PythonLineTable({{2, 1}, {1, 0, true}, {1, 2}, {8, -1}});
  EXPECT_EQ(PythonLineAt(Bytes(table), 100, 0), 101);
  EXPECT_EQ(PythonLineAt(Bytes(table), 100, 4), kNoPythonLine);
  EXPECT_EQ(PythonLineAt(Bytes(table), 100, 6), 103);
  EXPECT_EQ(PythonLineAt(Bytes(table), 100, 8), 102);
  EXPECT_EQ(PythonLineAt(Bytes(table), 100, 22), 102);
  EXPECT_EQ(PythonLineAt(Bytes(table), 100, 24), kNoPythonLine);
}

// Two no-column entries, each with a delta near 2^61 (a varint of 10
// groups of 0x3e and one of 3).
std::vector<uint8_t> TwoHugeDeltas() {
  std::vector<uint8_t> table;
  for (int entry = 0; entry < 2; ++entry) {
    table.push_back(0x80 | 13 << 3);
    table.insert(table.end(), 10, 0x7e);
    table.push_back(0x03);
  }
  return table;
}

TEST(PythonLineTableTest, HostileTablesGiveNoLineAndStayInBounds) {
  EXPECT_EQ(PythonLineAt({}, 7, 0), kNoPythonLine);
  EXPECT_EQ(PythonLineAt({}, 7, -2), 7);
  // Not starting with an entry byte.
  EXPECT_EQ(PythonLineAt(std::vector<uint8_t>{0x01, 0x02}, 7, 0),
            kNoPythonLine);
  // A delta cut off by the end, or by the next entry.
  EXPECT_EQ(PythonLineAt(std::vector<uint8_t>{0x80 | 13 << 3}, 7, 0),
            kNoPythonLine);
  EXPECT_EQ(PythonLineAt(std::vector<uint8_t>{0x80 | 13 << 3, 0x42}, 7, 0),
            kNoPythonLine);
  EXPECT_EQ(PythonLineAt(std::vector<uint8_t>{0x80 | 13 << 3, 0x80}, 7, 0),
            kNoPythonLine);
  // A varint far longer than 64 bits: read, its excess ignored.
  std::vector<uint8_t> long_varint = {0x80 | 13 << 3};
  long_varint.insert(long_varint.end(), 40, 0x7f);
  long_varint.push_back(0x00);
  PythonLineAt(long_varint, 7, 0);  // any value; no overflow trap (UBSan)
  // Huge deltas wrap instead of overflowing.
  PythonLineAt(TwoHugeDeltas(), INT32_MAX, 2);
}

// The recorder's StripPythonColumns answers as the table it was given, at
// every offset, and is never longer.
void ExpectSameLines(const std::vector<uint8_t>& table, int64_t first_line) {
  std::vector<uint8_t> stripped(table.size());
  stripped.resize(
      preload::StripPythonColumns(table.data(), table.size(), stripped.data()));
  ASSERT_LE(stripped.size(), table.size());
  for (int64_t offset = -2; offset < 16 * static_cast<int64_t>(table.size()) + 4;
       offset += 2) {
    ASSERT_EQ(PythonLineAt(stripped, first_line, offset),
              PythonLineAt(table, first_line, offset))
        << "offset " << offset << " of a table of " << table.size();
  }
}

TEST(StripPythonColumnsTest, KeepsTheLinesOfEveryForm) {
  // The table of EveryEntryFormMovesTheLineAsDocumented, then one run of 20
  // units on a line (entries of 8 at most) and a gap of 10.
  std::vector<uint8_t> table = {
      0x80 | 3 << 3 | 1,  0x05,       0x80 | 12 << 3 | 0, 0x04, 0x09,
      0x80 | 13 << 3 | 2, 0x07,       0x80 | 14 << 3 | 0, 0x50, 0x01,
      0x00,               0x05,       0x07,               0x80 | 15 << 3 | 1,
      0x80 | 10 << 3 | 0, 0x01,       0x02};
  for (int i = 0; i < 10; ++i) {
    table.insert(table.end(), {0x80 | 3 << 3 | 1, 0x05});  // same line
  }
  for (int i = 0; i < 10; ++i) table.push_back(0x80 | 15 << 3);
  ExpectSameLines(table, 10);
  std::vector<uint8_t> stripped(table.size());
  stripped.resize(
      preload::StripPythonColumns(table.data(), table.size(), stripped.data()));
  // 47 bytes become 18: entries of two bytes for lines 10, 12 and 9, three
  // for 49 (+40 takes two svarint bytes), one for the 2-unit gap, three of
  // two for the 21 units on line 49, two of one for the 10-unit gap.
  EXPECT_EQ(table.size(), 47u);
  EXPECT_EQ(stripped.size(), 18u);
}

TEST(StripPythonColumnsTest, KeepsTheLinesOfHostileTables) {
  ExpectSameLines({}, 7);
  ExpectSameLines({0x01, 0x02}, 7);
  ExpectSameLines({0x80 | 13 << 3}, 7);
  ExpectSameLines({0x80 | 13 << 3, 0x42}, 7);
  ExpectSameLines({0x80 | 3 << 3, 0x01, 0x80 | 13 << 3, 0x80}, 7);
  // Deltas that wrap: a sum beyond the svarint's 63 bits.
  ExpectSameLines(TwoHugeDeltas(), INT32_MAX);
}

TEST(StripPythonColumnsTest, KeepsTheLinesOfRandomTables) {
  // Random entry bytes, data bytes and varints: well and badly formed.
  std::mt19937 random(19);
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> table(random() % 24);
    for (uint8_t& byte : table) {
      byte = static_cast<uint8_t>(random());
      if (random() % 3 != 0) byte |= 0x80;  // mostly entry starts
    }
    ExpectSameLines(table, static_cast<int64_t>(random() % 1000));
  }
}

// ---------------------------------------------------------------------------
// Against real interpreters
// ---------------------------------------------------------------------------

// Prints, for every code object (recursively through co_consts) of a few
// stdlib modules compiled from source, one line:
//   first_line hex_linetable addr2line(-2) addr2line(end) A/L/P,A/L/P,...
// with A, L, P the line of each code unit (caches included) by
// PyCode_Addr2Line, co_lines() and co_positions(), -1 for none.
constexpr char kDumpScript[] = R"PY(
import ctypes, importlib.util, sys, types
if sys.version_info < (3, 11):
    print("SKIP Python %d.%d has the older line table format"
          % sys.version_info[:2])
    sys.exit(0)
addr2line = ctypes.pythonapi.PyCode_Addr2Line
addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
addr2line.restype = ctypes.c_int
MODULES = ["json.decoder", "argparse", "typing", "dataclasses", "contextlib",
           "asyncio.base_events", "email._header_value_parser", "re._parser",
           "collections"]
def walk(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from walk(const)
def n(line):
    return -1 if line is None else line
for name in MODULES:
    path = importlib.util.find_spec(name).origin
    with open(path, encoding="utf-8") as source:
        top = compile(source.read(), path, "exec")
    for code in walk(top):
        units = len(code.co_code) // 2
        by_lines = [None] * units
        for start, end, line in code.co_lines():
            for offset in range(start, end, 2):
                by_lines[offset // 2] = line
        positions = [p[0] for p in code.co_positions()]
        cells = ",".join("%d/%d/%d" % (addr2line(code, 2 * i), n(by_lines[i]),
                                       n(positions[i])) for i in range(units))
        print(code.co_firstlineno, code.co_linetable.hex() or "-",
              addr2line(code, -2), addr2line(code, 2 * units), cells)
)PY";

struct Interpreter {
  std::string path;
  bool no_debug_ranges;  // -X no_debug_ranges: "no columns" entries
};

// Test names in CTest carry the printed parameter.
void PrintTo(const Interpreter& interpreter, std::ostream* out) {
  *out << interpreter.path
       << (interpreter.no_debug_ranges ? " -X no_debug_ranges" : "");
}

std::string InterpreterName(const ::testing::TestParamInfo<Interpreter>& p) {
  std::string name = p.param.path;
  const size_t versions = name.find("versions/");
  name = versions == std::string::npos
             ? "system"
             : name.substr(versions + 9,
                           name.find('/', versions + 9) - versions - 9);
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name + (p.param.no_debug_ranges ? "_NoDebugRanges" : "");
}

std::vector<Interpreter> Interpreters() {
  const char* home = std::getenv("HOME");
  const std::string pyenv =
      absl::StrCat(home == nullptr ? "" : home, "/.pyenv/versions/");
  std::vector<Interpreter> list;
  for (const std::string& path :
       {std::string("/usr/bin/python3"), pyenv + "3.11.7/bin/python3",
        pyenv + "3.12.1/bin/python3", pyenv + "3.13.0/bin/python3"}) {
    list.push_back({path, false});
    list.push_back({path, true});
  }
  return list;
}

std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> bytes;
  if (hex == "-") return bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(
        std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

class PythonLineTableTruthTest : public ::testing::TestWithParam<Interpreter> {
};

TEST_P(PythonLineTableTruthTest, MatchesTheInterpreterAtEveryOffset) {
  const Interpreter& interpreter = GetParam();
  if (access(interpreter.path.c_str(), X_OK) != 0) {
    GTEST_SKIP() << interpreter.path
                 << " is not installed here: nothing to compare with";
  }
  const std::string script = absl::StrCat(
      ::testing::TempDir(), "/python_line_table_dump_", getpid(), ".py");
  {
    std::ofstream out(script);
    out << kDumpScript;
  }
  // -I: no user site or environment can change what is compiled.
  const std::string command = absl::StrCat(
      interpreter.path, " -I",
      interpreter.no_debug_ranges ? " -X no_debug_ranges " : " ", script);
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr) << command;
  std::string output;
  char buffer[1 << 16];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = pclose(pipe);
  std::remove(script.c_str());
  ASSERT_EQ(status, 0) << command << "\n" << output.substr(0, 2000);
  if (output.starts_with("SKIP ")) {
    GTEST_SKIP() << interpreter.path << ": "
                 << output.substr(5, output.find('\n') - 5);
  }

  size_t code_objects = 0, offsets = 0, mismatches = 0;
  size_t table_bytes = 0, stripped_bytes = 0;
  std::string first_mismatches;
  const auto mismatch = [&](const std::string& what) {
    if (++mismatches <= 10) absl::StrAppend(&first_mismatches, what, "\n");
  };
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (line.empty()) continue;
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    ASSERT_EQ(fields.size(), 5u) << line;
    int64_t first_line, before_start, at_end;
    ASSERT_TRUE(absl::SimpleAtoi(fields[0], &first_line)) << line;
    ASSERT_TRUE(absl::SimpleAtoi(fields[2], &before_start)) << line;
    ASSERT_TRUE(absl::SimpleAtoi(fields[3], &at_end)) << line;
    const std::vector<uint8_t> table =
        FromHex(std::string_view(fields[1].data(), fields[1].size()));
    ++code_objects;
    // What the recorder writes: the same table without its columns.
    std::vector<uint8_t> stripped(table.size());
    stripped.resize(preload::StripPythonColumns(table.data(), table.size(),
                                                stripped.data()));
    table_bytes += table.size();
    stripped_bytes += stripped.size();
    const auto check = [&](int64_t offset, int64_t truth, const char* how) {
      const int64_t decoded = PythonLineAt(table, first_line, offset);
      const int64_t from_stripped = PythonLineAt(stripped, first_line, offset);
      if (decoded != truth || from_stripped != truth) {
        mismatch(absl::StrCat(how, ": offset ", offset, " decoded ", decoded,
                              ", without columns ", from_stripped, " truth ",
                              truth, " (first line ", first_line, ", table ",
                              fields[1].substr(0, 64),
                              fields[1].size() > 64 ? "...)" : ")"));
      }
    };
    check(-2, before_start, "PyCode_Addr2Line");
    const std::vector<absl::string_view> cells = absl::StrSplit(fields[4], ',');
    check(2 * static_cast<int64_t>(cells.size()), at_end, "PyCode_Addr2Line");
    for (size_t unit = 0; unit < cells.size(); ++unit) {
      const std::vector<absl::string_view> lines =
          absl::StrSplit(cells[unit], '/');
      ASSERT_EQ(lines.size(), 3u) << cells[unit];
      const char* kHow[] = {"PyCode_Addr2Line", "co_lines", "co_positions"};
      for (int i = 0; i < 3; ++i) {
        int64_t truth;
        ASSERT_TRUE(absl::SimpleAtoi(lines[i], &truth)) << cells[unit];
        check(2 * static_cast<int64_t>(unit), truth, kHow[i]);
      }
      ++offsets;
    }
  }
  EXPECT_EQ(mismatches, 0u) << first_mismatches;
  // Not vacuous: the modules hold thousands of code objects.
  EXPECT_GT(code_objects, 1000u);
  EXPECT_GT(offsets, 50000u);
  // Not vacuous either: without columns the tables shrink.
  EXPECT_LT(stripped_bytes, table_bytes);
  std::printf(
      "%s%s: %zu code objects, %zu offsets, %zu mismatches; tables %zu "
      "bytes, %zu without columns\n",
      interpreter.path.c_str(),
      interpreter.no_debug_ranges ? " (-X no_debug_ranges)" : "",
      code_objects, offsets, mismatches, table_bytes, stripped_bytes);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonLineTableTruthTest,
                         ::testing::ValuesIn(Interpreters()), InterpreterName);

}  // namespace
}  // namespace heaptrail::analyzer
