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

// What the trace says of a thread's events so far, which its next record
// continues from.
struct ColumnState {
  uint64_t tick = 0;     // the last event's tick, exact (as the rows know it)
  uint64_t address = 0;  // the last event's address
  AddressCoder coder;    // its recent addresses
  // Its records of the chunk being built, not in the chunk yet: joined into
  // one when they go (AppendJoinedColumns), so that each column is one run.
  ChunkBuilder pending;
  void Reset() {
    tick = address = 0;
    coder.Reset();
    pending.Clear();
  }
};

// The ticks the writer may round: those in (from, to), to no less than
// from + 1 (see "Rounded ticks" in trace_format.h). Empty by default.
struct TickRounding {
  uint64_t from = 0;
  uint64_t to = 0;
};

// Appends `size` bytes of whole event records of thread `thread` to `chunk`
// as one kThreadEventColumns record, built in `scratch`, from and to `state`;
// ticks within `rounding` rounded down to a multiple of kTickQuantum, but for
// the last event's. False, with nothing appended, when a record has an
// unknown tag or is cut short, or when out of memory: `state` is then no
// longer the trace's, and the thread's events must go as rows from then on.
bool AppendEventColumns(ChunkBuilder& chunk, ChunkBuilder& scratch, uint64_t thread,
                        const uint8_t* bytes, size_t size, ColumnState& state,
                        TickRounding rounding = {});

// Appends the kThreadEventColumns records `records` (`size` bytes of whole
// records of one thread, as AppendEventColumns() wrote them) to `chunk` as
// one record whose every column is the concatenation of theirs: the record
// that their events would have made at once, since each field's coding
// carries on from one event to the next across records. Zstd then meets
// each column as one run, not a short piece of each among the others: a
// trace 6-8% smaller (docs/performance.md). False, with nothing appended,
// when out of memory or when the records do not parse.
bool AppendJoinedColumns(ChunkBuilder& chunk, const uint8_t* records, size_t size);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_EVENT_COLUMNS_H_
