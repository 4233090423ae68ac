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
  // Its records of the chunk being built, whose bytes go in the thread's
  // column section when the chunk is written (AppendColumnSection).
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

// A thread's column records of a chunk wait for the chunk in
// ColumnState::pending; each gets a header in the chunk's order, and their
// bytes go in the thread's section at the chunk's start (kColumnSections in
// trace_format.h): zstd meets each column of the thread whole, not a piece
// per round among the others, a trace 6-8% smaller (docs/performance.md).
// `records` are `size` bytes of whole kThreadEventColumns records of one
// thread, as AppendEventColumns() wrote them; each function returns false,
// having appended nothing, when they do not parse (or when out of memory).
//
// The kThreadEventColumnsApart header of `records` (one record, or many as
// one).
bool PutColumnsApartHeader(ChunkBuilder& chunk, const uint8_t* records, size_t size);
// The section's entry in the kColumnSections header: thread and lengths.
bool PutColumnSectionHeader(ChunkBuilder& chunk, const uint8_t* records, size_t size);
// The section's bytes: each column of the records, one after the other.
bool AppendColumnSection(ChunkBuilder& chunk, const uint8_t* records, size_t size);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_EVENT_COLUMNS_H_
