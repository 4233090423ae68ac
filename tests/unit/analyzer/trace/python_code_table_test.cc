// PythonCodeTable: lookups, repeated records, contradicting ones.

#include "trace/python_code_table.h"

#include <string>

#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

PythonCodeRecord Code(uint32_t id, std::string name, uint32_t first_line) {
  PythonCodeRecord record;
  record.code_id = id;
  record.code.first_line = first_line;
  record.code.file = "app.py";
  record.code.qualified_name = std::move(name);
  record.code.line_table = {0x80 | 13 << 3, 0x02};
  return record;
}

TEST(PythonCodeTableTest, FindsCodeObjectsById) {
  PythonCodeTable table;
  EXPECT_EQ(table.interpreter(), nullptr);
  PythonCodeRecord main = Code(1, "main", 10);
  PythonCodeRecord helper = Code(1000, "Helper.run", 20);
  ASSERT_TRUE(table.Add(main).ok());
  ASSERT_TRUE(table.Add(helper).ok());
  ASSERT_NE(table.Find(1000), nullptr);
  EXPECT_EQ(table.Find(1000)->qualified_name, "Helper.run");
  EXPECT_EQ(table.Find(1000)->first_line, 20u);
  EXPECT_EQ(table.Find(1)->line_table, (std::vector<uint8_t>{0xe8, 0x02}));
  EXPECT_EQ(table.Find(2), nullptr);
  EXPECT_EQ(table.size(), 2u);
}

TEST(PythonCodeTableTest, ARepeatedRecordIsAcceptedAContradictingOneIsNot) {
  PythonCodeTable table;
  PythonCodeRecord first = Code(5, "f", 1);
  PythonCodeRecord again = Code(5, "f", 1);
  PythonCodeRecord other = Code(5, "g", 1);
  ASSERT_TRUE(table.Add(first).ok());
  EXPECT_TRUE(table.Add(again).ok());
  const absl::Status status = table.Add(other);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "Python code 5 defined twice, as f (app.py) and as g (app.py)");
  EXPECT_EQ(table.Find(5)->qualified_name, "f");
}

TEST(PythonCodeTableTest, OneInterpreterPerTrace) {
  PythonCodeTable table;
  ASSERT_TRUE(table.SetInterpreter({0x030c01f0, 0x7f00'1000}).ok());
  EXPECT_TRUE(table.SetInterpreter({0x030c01f0, 0x7f00'1000}).ok());
  ASSERT_NE(table.interpreter(), nullptr);
  EXPECT_EQ(table.interpreter()->version, 0x030c01f0u);
  EXPECT_EQ(table.interpreter()->runtime_address, 0x7f00'1000u);
  const absl::Status status = table.SetInterpreter({0x030d00f0, 0x7f00'1000});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("a second Python interpreter"),
            std::string::npos);
}

}  // namespace
}  // namespace heaptrail::analyzer
