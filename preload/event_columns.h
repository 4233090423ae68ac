// Turns a thread's drained event records (row order, as the hooks encode
// them) into a kThreadEventColumns record: the same bytes, regrouped by field
// so that zstd compresses ticks with ticks, sizes with sizes, and so on (see
// trace_format.h). The hot path keeps writing rows; only the writer pays for
// the regrouping: one scan of the bytes into columns, and one copy.
// Addresses become absolute (8 bytes each) on the way: a freed address then
// repeats the bytes of its allocation, which zstd finds, where a delta from
// an unrelated previous address is noise.
//
// Thread-safety: the caller owns `chunk` (the writer lock).

#ifndef HEAPTRAIL_PRELOAD_EVENT_COLUMNS_H_
#define HEAPTRAIL_PRELOAD_EVENT_COLUMNS_H_

#include <cstddef>
#include <cstdint>

#include "chunk_builder.h"

namespace heaptrail::preload {

// Appends `size` bytes of whole event records of thread `thread` to `chunk`
// as one kThreadEventColumns record, built in `scratch`. `address` is the address of the
// thread's previous event (the rows' delta state), updated to the last one's.
// False, with nothing appended, when a record has an unknown tag or is cut
// short, or when out of memory.
bool AppendEventColumns(ChunkBuilder& chunk, ChunkBuilder& scratch, uint64_t thread,
                        const uint8_t* bytes, size_t size, uint64_t& address);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_EVENT_COLUMNS_H_
