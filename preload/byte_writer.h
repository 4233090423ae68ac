// Encoding of the trace's primitive types (varint, svarint, string) into a
// caller-provided byte buffer. The decoder lives in analyzer/record_decoder.
//
// No allocation: the hot path encodes each event into a small stack buffer.

#ifndef HEAPTRAIL_PRELOAD_BYTE_WRITER_H_
#define HEAPTRAIL_PRELOAD_BYTE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace heaptrail::preload {

// The most bytes a varint takes.
inline constexpr size_t kMaxVarintSize = 10;

inline uint8_t* PutVarint(uint8_t* out, uint64_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<uint8_t>(value);
  return out;
}

inline uint64_t ZigZag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}

inline uint8_t* PutSvarint(uint8_t* out, int64_t value) {
  return PutVarint(out, ZigZag(value));
}

// Writes a string, truncated to `max_size` bytes.
inline uint8_t* PutString(uint8_t* out, std::string_view text, size_t max_size) {
  if (text.size() > max_size) text = text.substr(0, max_size);
  out = PutVarint(out, text.size());
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_BYTE_WRITER_H_
