// Decodes the top-level records of a chunk's decompressed bytes and the
// per-thread event records inside kThreadEvents, handing typed values to a
// RecordSink.
//
// The decoder carries state from chunk to chunk: each thread's delta state
// (previous tick and address, which continue across kThreadEvents records)
// and the map from the recorder's thread index to a dense slot. Everything
// is validated as it is read: lengths against the bytes left, thread indices
// against kMaxThreadIndex, event tags and kinds against their enums, stack
// node ids (dense, parent < id), Python code ids and line-table sizes
// against their limits; an unknown record type is an error, since
// the format version says exactly which records exist.
//
// Thread-safety: not thread-safe; one decoder per trace.

#ifndef HEAPTRAIL_ANALYZER_TRACE_RECORD_DECODER_H_
#define HEAPTRAIL_ANALYZER_TRACE_RECORD_DECODER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "trace/address_rings.h"
#include "trace/byte_cursor.h"
#include "trace/records.h"

namespace heaptrail::analyzer {

// Receives decoded records in file order. Events of one thread arrive in that
// thread's order. The default implementations ignore the record, so a sink
// overrides only what it needs. A non-OK Status stops decoding.
class RecordSink {
 public:
  virtual ~RecordSink() = default;

  // kAlloc, kFree and kReallocFailed: the events of one record, all of one
  // thread, in its order.
  virtual void OnEvents(std::span<const Event> events) { (void)events; }
  // Where those events are decoded to, for a sink that takes them without a
  // copy: the decoder appends a record's events to EventsOf(thread), then
  // calls EventsAppended(thread, first) with the size it had before. By
  // default they go to a buffer of the sink's own, then to OnEvents().
  virtual std::vector<Event>& EventsOf(uint32_t thread);
  virtual void EventsAppended(uint32_t thread, size_t first);
  virtual absl::Status OnThreadStart(const ThreadStartRecord& record);
  virtual absl::Status OnThreadEnd(const ThreadEndRecord& record);
  virtual absl::Status OnStackNodes(StackNodesRecord& record);
  virtual absl::Status OnModuleLoad(ModuleLoadRecord& record);
  virtual absl::Status OnModuleUnload(const ModuleUnloadRecord& record);
  virtual absl::Status OnRoundEnd(uint64_t tick);
  virtual absl::Status OnClockSync(const ClockSyncRecord& record);
  virtual absl::Status OnRss(const RssRecord& record);
  virtual absl::Status OnSnapshot(SnapshotRecord& record);
  virtual absl::Status OnProcessInfo(ProcessInfoRecord& record);
  virtual absl::Status OnEnd(uint64_t tick);
  virtual absl::Status OnLeakKinds(LeakKindsRecord& record);
  virtual absl::Status OnPythonInterpreter(
      const PythonInterpreterRecord& record);
  virtual absl::Status OnPythonCode(PythonCodeRecord& record);

 private:
  std::vector<Event> events_;  // the default EventsOf()
};

class RecordDecoder {
 public:
  // Decodes records of the given format version (the file header's).
  explicit RecordDecoder(uint32_t version = format::kFormatVersion)
      : version_(version) {}
  RecordDecoder(const RecordDecoder&) = delete;
  RecordDecoder& operator=(const RecordDecoder&) = delete;

  // Decodes every record of one chunk. Errors name the offset in the chunk.
  absl::Status DecodeChunk(std::span<const uint8_t> bytes, RecordSink& sink);

  // The recorder's thread index of a dense slot.
  uint32_t thread_index(uint32_t slot) const { return threads_[slot].index; }
  size_t thread_count() const { return threads_.size(); }

  // Stack node ids handed out so far by kStackNodes (node 0 included).
  uint32_t stack_node_count() const { return stack_node_count_; }

 private:
  struct ThreadState {
    uint32_t index = 0;      // as recorded
    uint64_t last_tick = 0;  // delta state, carried across records
    uint64_t last_address = 0;
    // Its recent addresses, which kThreadEventColumns refers to: made on
    // its first columns, dropped at its end.
    std::unique_ptr<AddressRings> rings;
  };

  absl::Status DecodeRecord(ByteCursor& cursor, RecordSink& sink);
  // Where an event's tag and fields are read from: one cursor for all in
  // kThreadEvents (rows), one per column in kThreadEventColumns.
  struct EventFields {
    ByteCursor* tags;
    ByteCursor* ticks;
    ByteCursor* sizes;
    ByteCursor* addresses;
    ByteCursor* stacks;
    bool columns;         // kThreadEventColumns: its addresses are...
    AddressRings* rings;  // ...references to these, or whole (version < 6)
  };

  absl::Status DecodeLeakKinds(ByteCursor& cursor, RecordSink& sink);
  absl::Status DecodeThreadEvents(ByteCursor& cursor, RecordSink& sink);
  // kThreadEventColumns, or kThreadEventColumnsApart (`apart`): its
  // columns then come from its thread's section of the chunk.
  absl::Status DecodeThreadEventColumns(ByteCursor& cursor, RecordSink& sink,
                                        bool apart);
  absl::Status DecodeColumnSections(ByteCursor& cursor);
  absl::Status DecodeEvents(const EventFields& fields, uint32_t slot,
                            RecordSink& sink);
  absl::Status DecodeEventsInto(const EventFields& fields, uint32_t slot,
                                std::vector<Event>& events);
  // Decodes row events from the start of `bytes` without bounds checks while
  // at least one whole event surely fits; returns the bytes consumed.
  static size_t DecodeRowsFast(std::span<const uint8_t> bytes, uint32_t slot,
                               uint64_t& tick, uint64_t& address,
                               std::vector<Event>& events);
  // The same for columns whose addresses are references (fields.rings);
  // returns the tags consumed, having skipped the other columns' bytes.
  static size_t DecodeColumnsFast(const EventFields& fields, uint32_t slot,
                                  uint64_t& tick, uint64_t& address,
                                  std::vector<Event>& events);
  // An event's address field, by the record's coding.
  static absl::Status ReadAddressField(const EventFields& fields,
                                       format::EventTag tag, uint64_t& address);
  absl::Status DecodeStackNodes(ByteCursor& cursor, RecordSink& sink);
  absl::Status DecodeModuleLoad(ByteCursor& cursor, RecordSink& sink);
  absl::Status DecodePythonInterpreter(ByteCursor& cursor, RecordSink& sink);
  absl::Status DecodePythonCode(ByteCursor& cursor, RecordSink& sink);
  absl::StatusOr<uint32_t> ReadThread(ByteCursor& cursor);

  uint32_t version_;
  absl::flat_hash_map<uint32_t, uint32_t> slot_of_index_;
  // The current chunk's kColumnSections, by thread slot: what is left of
  // each of the thread's columns.
  absl::flat_hash_map<uint32_t, std::array<ByteCursor, 1 + format::kEventFieldCount>>
      sections_;
  std::vector<ThreadState> threads_;
  uint32_t stack_node_count_ = 1;   // node 0, the root, is implicit
  // Version 7: the distinct ips of stack nodes, in order of appearance.
  std::vector<uint64_t> stack_ips_;
  uint64_t latest_new_ip_ = 0;
  uint64_t previous_ip_index_ = ~uint64_t{0};  // the first node's is 0
  StackNodesRecord nodes_scratch_;  // reused: its capacity survives records
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_RECORD_DECODER_H_
