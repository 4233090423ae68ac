// A thread's recent addresses, as kThreadEventColumns references them
// (trace_format.h): the last kAddressWindow allocated and released ones,
// kept as the recorder's AddressCoder keeps them, so that a reference reads
// back the address it was written for.
//
// Thread-safety: a value; the record decoder keeps one per thread.

#ifndef HEAPTRAIL_ANALYZER_TRACE_ADDRESS_RINGS_H_
#define HEAPTRAIL_ANALYZER_TRACE_ADDRESS_RINGS_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "heaptrail/trace_format.h"
#include "trace/byte_cursor.h"
#include "trace/status_macros.h"

namespace heaptrail::analyzer {

class AddressRings {
 public:
  // The address field of an allocation; of a release (`counts`: a kFree or
  // kFreeWithStack, not a kReallocFailed). DataLoss on a reference beyond
  // the window or before the thread's first events.
  absl::Status ReadAllocation(ByteCursor& column, uint64_t& address) {
    HEAPTRAIL_RETURN_IF_ERROR(Read(column, released_, releases_, address));
    allocated_[allocations_++ % format::kAddressWindow] = address;
    return absl::OkStatus();
  }
  absl::Status ReadRelease(ByteCursor& column, bool counts, uint64_t& address) {
    HEAPTRAIL_RETURN_IF_ERROR(Read(column, allocated_, allocations_, address));
    if (counts) released_[releases_++ % format::kAddressWindow] = address;
    return absl::OkStatus();
  }

  // The same, for the decoder's unchecked path: the address field at `p`,
  // which has at least 20 readable bytes (two varints). False, leaving the
  // rings and `address` as they were, on a varint that does not fit or a
  // reference the checked path must report.
  bool TryReadAllocation(const uint8_t*& p, uint64_t& address) {
    if (!TryRead(p, released_, releases_, address)) return false;
    allocated_[allocations_++ % format::kAddressWindow] = address;
    return true;
  }
  bool TryReadRelease(const uint8_t*& p, uint64_t& address) {
    if (!TryRead(p, allocated_, allocations_, address)) return false;
    released_[releases_++ % format::kAddressWindow] = address;
    return true;
  }

 private:
  template <size_t kWindow>
  static bool TryRead(const uint8_t*& p,
                      const std::array<uint64_t, kWindow>& ring,
                      uint64_t count, uint64_t& address) {
    const uint8_t* q = p;
    uint64_t distance;
    if (!ReadVarintUnchecked(q, distance)) return false;
    if (distance == 0) {
      uint64_t delta;
      if (!ReadVarintUnchecked(q, delta)) return false;
      address += ZigzagDecode(delta);
    } else if (distance <= kWindow && distance <= count) {
      address = ring[(count - distance) % kWindow];
    } else {
      return false;
    }
    p = q;
    return true;
  }

  template <size_t kWindow>
  static absl::Status Read(ByteCursor& column,
                           const std::array<uint64_t, kWindow>& ring,
                           uint64_t count, uint64_t& address) {
    HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t distance, column.ReadVarint());
    if (distance == 0) {
      HEAPTRAIL_ASSIGN_OR_RETURN(const int64_t delta, column.ReadSvarint());
      address += static_cast<uint64_t>(delta);
      return absl::OkStatus();
    }
    if (distance > kWindow || distance > count) {
      return absl::DataLossError(
          absl::StrFormat("address reference %d, beyond the %d addresses known",
                          distance, std::min<uint64_t>(count, kWindow)));
    }
    address = ring[(count - distance) % kWindow];
    return absl::OkStatus();
  }

  std::array<uint64_t, format::kAddressWindow> allocated_;
  std::array<uint64_t, format::kAddressWindow> released_;
  uint64_t allocations_ = 0;
  uint64_t releases_ = 0;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_ADDRESS_RINGS_H_
