// ProtoWriter: exact bytes of the protocol-buffers wire format.

#include "export/proto_writer.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(ProtoWriterTest, Varints) {
  ProtoWriter writer;
  writer.Varint(1, 0);
  writer.Varint(1, 150);  // the protobuf documentation's example: 96 01
  writer.Varint(2, UINT64_MAX);
  EXPECT_EQ(writer.data(),
            Bytes({0x08, 0x00, 0x08, 0x96, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff,
                   0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(ProtoWriterTest, BytesAndNestedMessages) {
  ProtoWriter inner;
  inner.Varint(1, 3);
  ProtoWriter writer;
  writer.Bytes(6, "");
  writer.Bytes(6, "ab");
  writer.Message(4, inner);
  writer.Varint(16, 1);  // a field number that needs a two-byte tag
  EXPECT_EQ(writer.data(), Bytes({0x32, 0x00, 0x32, 0x02, 'a', 'b', 0x22, 0x02,
                                  0x08, 0x03, 0x80, 0x01, 0x01}));
}

TEST(ProtoWriterTest, PackedVarints) {
  ProtoWriter writer;
  const std::vector<uint64_t> values = {1, 300, 0};
  writer.PackedVarints(1, values);
  writer.PackedVarints(2, {});
  EXPECT_EQ(writer.data(), Bytes({0x0a, 0x04, 0x01, 0xac, 0x02, 0x00}));
}

}  // namespace
}  // namespace heaptrail::analyzer
