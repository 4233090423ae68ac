// ProtoWriter: base-128 varints, little-endian groups of 7 bits.

#include "export/proto_writer.h"

namespace heaptrail::analyzer {

void ProtoWriter::AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void ProtoWriter::Tag(uint32_t field, uint32_t wire_type) {
  AppendVarint(data_, (uint64_t{field} << 3) | wire_type);
}

void ProtoWriter::Varint(uint32_t field, uint64_t value) {
  Tag(field, 0);
  AppendVarint(data_, value);
}

void ProtoWriter::Bytes(uint32_t field, std::string_view bytes) {
  Tag(field, 2);
  AppendVarint(data_, bytes.size());
  data_.append(bytes);
}

void ProtoWriter::PackedVarints(uint32_t field,
                                std::span<const uint64_t> values) {
  if (values.empty()) return;
  std::string packed;
  for (uint64_t value : values) AppendVarint(packed, value);
  Bytes(field, packed);
}

}  // namespace heaptrail::analyzer
