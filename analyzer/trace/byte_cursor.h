// A bounds-checked reader over a span of untrusted bytes.
//
// Every read of the trace decoder goes through ByteCursor: LEB128 varints
// (at most 10 bytes, no bits beyond 64), zigzag svarints, length-prefixed
// strings with a size limit and raw byte runs. A read past the end, an
// overlong varint or an oversized string is an absl::Status naming the
// offset, never an out-of-bounds access. The cursor does not own the bytes.
//
// Thread-safety: a cursor is a value; use one per thread.

#ifndef HEAPTRAIL_ANALYZER_TRACE_BYTE_CURSOR_H_
#define HEAPTRAIL_ANALYZER_TRACE_BYTE_CURSOR_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace heaptrail::analyzer {

// The value of a zigzag-encoded varint (0, -1, 1, -2... as 0, 1, 2, 3...), as
// the two's-complement bits of the signed result.
inline uint64_t ZigzagDecode(uint64_t raw) {
  return (raw >> 1) ^ (~(raw & 1) + 1);
}

// For a decoder's unchecked fast paths, which check the room themselves:
// the most bytes a varint takes, and reads that trust it is there. False
// on a varint that does not fit 64 bits.
inline constexpr size_t kMaxVarintBytes = 10;

// An LEB128 varint at `p`, which has kMaxVarintBytes readable bytes.
inline bool ReadVarintUnchecked(const uint8_t*& p, uint64_t& value) {
  uint64_t byte = *p++;
  value = byte & 0x7f;
  for (int shift = 7; byte >= 0x80; shift += 7) {
    byte = *p++;
    if (shift == 63 && byte > 1) return false;
    value |= (byte & 0x7f) << shift;
  }
  return true;
}

// The same for a field of one or two bytes, most of the time, and which of
// the two at random (allocation sizes below 16 KiB): no branch on the length,
// which a predictor would miss half of the time. Longer ones take the loop.
inline bool ReadShortVarintUnchecked(const uint8_t*& p, uint64_t& value) {
  const uint64_t first = p[0];
  const uint64_t second = p[1];
  if ((first & second) >= 0x80) return ReadVarintUnchecked(p, value);
  const uint64_t has_second = first >> 7;
  value = (first & 0x7f) | ((second & 0x7f) << 7 & (0 - has_second));
  p += 1 + has_second;
  return true;
}

class ByteCursor {
 public:
  ByteCursor() = default;
  explicit ByteCursor(std::span<const uint8_t> bytes)
      : begin_(bytes.data()),
        pos_(bytes.data()),
        end_(bytes.data() + bytes.size()) {}

  bool empty() const { return pos_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  size_t offset() const { return static_cast<size_t>(pos_ - begin_); }

  absl::StatusOr<uint8_t> ReadByte();

  // The unread bytes, for a caller that decodes a run of them on its own and
  // then Skip()s what it consumed.
  std::span<const uint8_t> unread() const {
    return {pos_, static_cast<size_t>(end_ - pos_)};
  }
  void Skip(size_t count) { pos_ += count < remaining() ? count : remaining(); }

  // Unsigned LEB128. Inline: the event loop calls it several times per event.
  absl::StatusOr<uint64_t> ReadVarint() {
    // Fast path: a single byte, the common case for deltas and small sizes.
    if (pos_ != end_ && *pos_ < 0x80) return *pos_++;
    return ReadVarintSlow();
  }

  // Zigzag-encoded signed varint.
  absl::StatusOr<int64_t> ReadSvarint() {
    absl::StatusOr<uint64_t> raw = ReadVarint();
    if (!raw.ok()) return raw.status();
    return static_cast<int64_t>(ZigzagDecode(*raw));
  }

  // A varint that must not exceed `max`; `what` names the field in the error.
  absl::StatusOr<uint64_t> ReadVarintAtMost(uint64_t max,
                                            std::string_view what);

  // A varint length followed by that many bytes; the length must be <=
  // max_size.
  absl::StatusOr<std::string_view> ReadString(uint32_t max_size,
                                              std::string_view what);

  // The next `count` bytes.
  absl::StatusOr<std::span<const uint8_t>> ReadBytes(uint64_t count,
                                                     std::string_view what);

 private:
  absl::StatusOr<uint64_t> ReadVarintSlow();

  const uint8_t* begin_ = nullptr;
  const uint8_t* pos_ = nullptr;
  const uint8_t* end_ = nullptr;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_BYTE_CURSOR_H_
