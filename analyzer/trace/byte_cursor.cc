// Out-of-line parts of ByteCursor: the multi-byte varint path and the
// checked readers, which build error messages.

#include "trace/byte_cursor.h"

#include "absl/strings/str_format.h"

namespace heaptrail::analyzer {

absl::StatusOr<uint8_t> ByteCursor::ReadByte() {
  if (pos_ == end_) {
    return absl::DataLossError(
        absl::StrFormat("unexpected end of data at offset %d", offset()));
  }
  return *pos_++;
}

absl::StatusOr<uint64_t> ByteCursor::ReadVarintSlow() {
  const size_t start = offset();
  uint64_t value = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ == end_) {
      return absl::DataLossError(
          absl::StrFormat("truncated varint at offset %d", start));
    }
    const uint8_t byte = *pos_++;
    // The 10th byte holds bit 63 only: anything more does not fit 64 bits.
    if (i == 9 && byte > 1) {
      return absl::DataLossError(
          absl::StrFormat("varint overflows 64 bits at offset %d", start));
    }
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) return value;
  }
  return absl::DataLossError(
      absl::StrFormat("varint longer than 10 bytes at offset %d", start));
}

absl::StatusOr<uint64_t> ByteCursor::ReadVarintAtMost(uint64_t max,
                                                      std::string_view what) {
  const size_t start = offset();
  absl::StatusOr<uint64_t> value = ReadVarint();
  if (!value.ok()) return value.status();
  if (*value > max) {
    return absl::DataLossError(absl::StrFormat(
        "%s %d at offset %d exceeds the limit %d", what, *value, start, max));
  }
  return value;
}

absl::StatusOr<std::string_view> ByteCursor::ReadString(uint32_t max_size,
                                                        std::string_view what) {
  absl::StatusOr<uint64_t> size =
      ReadVarintAtMost(max_size, absl::StrFormat("length of %s", what));
  if (!size.ok()) return size.status();
  absl::StatusOr<std::span<const uint8_t>> bytes = ReadBytes(*size, what);
  if (!bytes.ok()) return bytes.status();
  return std::string_view(reinterpret_cast<const char*>(bytes->data()),
                          bytes->size());
}

absl::StatusOr<std::span<const uint8_t>> ByteCursor::ReadBytes(
    uint64_t count, std::string_view what) {
  if (count > remaining()) {
    return absl::DataLossError(absl::StrFormat(
        "%s of %d bytes at offset %d runs past the end (%d bytes left)", what,
        count, offset(), remaining()));
  }
  std::span<const uint8_t> bytes(pos_, static_cast<size_t>(count));
  pos_ += count;
  return bytes;
}

}  // namespace heaptrail::analyzer
