// Turns a thread's drained event records (row order, as the hooks encode
// them) into a kThreadEventColumns record: the same bytes, regrouped by field
// so that zstd compresses ticks with ticks, sizes with sizes, and so on (see
// trace_format.h). The hot path keeps writing rows; only the writer pays for
// the regrouping: one scan of the bytes into columns, and one copy.
// Addresses become references to the thread's recent ones on the way
// (AddressCoder): a release then names its allocation in a byte or two,
// where a delta from an unrelated previous address is noise.
//
// Thread-safety: the caller owns `chunk` (the writer lock).

#ifndef HEAPTRAIL_PRELOAD_EVENT_COLUMNS_H_
#define HEAPTRAIL_PRELOAD_EVENT_COLUMNS_H_

#include <cstddef>
#include <cstdint>

#include "address_coder.h"
#include "chunk_builder.h"

namespace heaptrail::preload {

// Appends `size` bytes of whole event records of thread `thread` to `chunk`
// as one kThreadEventColumns record, built in `scratch`. `address` is the address of the
// thread's previous event (the rows' delta state), updated to the last one's;
// `coder` the thread's recent addresses. False, with nothing appended, when
// a record has an unknown tag or is cut short, or when out of memory: the
// coder is then out of step with the trace, and the thread's events must go
// as rows from then on.
bool AppendEventColumns(ChunkBuilder& chunk, ChunkBuilder& scratch, uint64_t thread,
                        const uint8_t* bytes, size_t size, uint64_t& address,
                        AddressCoder& coder);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_EVENT_COLUMNS_H_
