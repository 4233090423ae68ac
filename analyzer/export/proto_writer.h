// A minimal protocol-buffers encoder (wire types 0 and 2: varints, packed
// varints, bytes and nested messages): all that profile.proto needs, so
// that the pprof export needs no protobuf library or code generator.
//
// Thread-safety: a value type.

#ifndef HEAPTRAIL_ANALYZER_EXPORT_PROTO_WRITER_H_
#define HEAPTRAIL_ANALYZER_EXPORT_PROTO_WRITER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace heaptrail::analyzer {

class ProtoWriter {
 public:
  // Field `field` as a varint (int64, uint64, bool). Zero is written too:
  // a reader takes it as the default either way.
  void Varint(uint32_t field, uint64_t value);
  // Field `field` as length-delimited bytes (string, bytes).
  void Bytes(uint32_t field, std::string_view bytes);
  // Field `field` as a nested message.
  void Message(uint32_t field, const ProtoWriter& message) {
    Bytes(field, message.data());
  }
  // A packed repeated varint field; nothing when `values` is empty.
  void PackedVarints(uint32_t field, std::span<const uint64_t> values);

  const std::string& data() const { return data_; }

 private:
  static void AppendVarint(std::string& out, uint64_t value);
  void Tag(uint32_t field, uint32_t wire_type);

  std::string data_;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_EXPORT_PROTO_WRITER_H_
