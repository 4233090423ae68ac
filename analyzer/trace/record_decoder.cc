// Record and thread-event decoding. Field layouts follow the comments of
// format::RecordType and format::EventTag one for one.

#include "trace/record_decoder.h"

#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "trace/status_macros.h"

namespace heaptrail::analyzer {
namespace {

using format::RecordType;

constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();

// Minimal encoded sizes, used to bound counts before reserving memory: a
// hostile count can then never allocate more than the chunk could describe.
constexpr size_t kMinStackNodeBytes = 3;
constexpr size_t kMinSegmentBytes = 4;
constexpr size_t kMinStringBytes = 1;
constexpr size_t kMinRowEventBytes = 3;  // tag, tick and address deltas

}  // namespace

std::vector<Event>& RecordSink::EventsOf(uint32_t) {
  events_.clear();
  return events_;
}
void RecordSink::EventsAppended(uint32_t, size_t first) {
  OnEvents(std::span<const Event>(events_).subspan(first));
}
absl::Status RecordSink::OnThreadStart(const ThreadStartRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnThreadEnd(const ThreadEndRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnStackNodes(StackNodesRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnModuleLoad(ModuleLoadRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnModuleUnload(const ModuleUnloadRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnRoundEnd(uint64_t) { return absl::OkStatus(); }
absl::Status RecordSink::OnClockSync(const ClockSyncRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnRss(const RssRecord&) { return absl::OkStatus(); }
absl::Status RecordSink::OnSnapshot(SnapshotRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnProcessInfo(ProcessInfoRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnEnd(uint64_t) { return absl::OkStatus(); }
absl::Status RecordSink::OnLeakKinds(LeakKindsRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnPythonInterpreter(const PythonInterpreterRecord&) {
  return absl::OkStatus();
}
absl::Status RecordSink::OnPythonCode(PythonCodeRecord&) {
  return absl::OkStatus();
}

absl::Status RecordDecoder::DecodeChunk(std::span<const uint8_t> bytes,
                                        RecordSink& sink) {
  ByteCursor cursor(bytes);
  sections_.clear();  // a chunk's sections are its own
  while (!cursor.empty()) {
    const size_t start = cursor.offset();
    absl::Status status = DecodeRecord(cursor, sink);
    if (!status.ok()) {
      return absl::Status(
          status.code(),
          absl::StrCat("record at offset ", start, ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> RecordDecoder::ReadThread(ByteCursor& cursor) {
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t index,
      cursor.ReadVarintAtMost(format::kMaxThreadIndex, "thread index"));
  const auto [it, inserted] = slot_of_index_.try_emplace(
      static_cast<uint32_t>(index), static_cast<uint32_t>(threads_.size()));
  if (inserted) {
    threads_.emplace_back().index = static_cast<uint32_t>(index);
  }
  return it->second;
}

absl::Status RecordDecoder::DecodeRecord(ByteCursor& cursor, RecordSink& sink) {
  HEAPTRAIL_ASSIGN_OR_RETURN(const uint8_t type, cursor.ReadByte());
  switch (static_cast<RecordType>(type)) {
    case RecordType::kThreadEvents:
      return DecodeThreadEvents(cursor, sink);
    case RecordType::kThreadEventColumns:
      return DecodeThreadEventColumns(cursor, sink, /*apart=*/false);
    case RecordType::kThreadEventColumnsApart:
      return DecodeThreadEventColumns(cursor, sink, /*apart=*/true);
    case RecordType::kColumnSections:
      return DecodeColumnSections(cursor);
    case RecordType::kThreadStart: {
      ThreadStartRecord record;
      HEAPTRAIL_ASSIGN_OR_RETURN(record.thread, ReadThread(cursor));
      record.thread_index = threads_[record.thread].index;
      HEAPTRAIL_ASSIGN_OR_RETURN(record.os_tid, cursor.ReadVarint());
      HEAPTRAIL_ASSIGN_OR_RETURN(record.tick, cursor.ReadVarint());
      threads_[record.thread].rings.reset();
      return sink.OnThreadStart(record);
    }
    case RecordType::kThreadEnd: {
      ThreadEndRecord record;
      HEAPTRAIL_ASSIGN_OR_RETURN(record.thread, ReadThread(cursor));
      record.thread_index = threads_[record.thread].index;
      HEAPTRAIL_ASSIGN_OR_RETURN(record.tick, cursor.ReadVarint());
      HEAPTRAIL_ASSIGN_OR_RETURN(
          const std::string_view name,
          cursor.ReadString(format::kMaxStringSize, "thread name"));
      record.name = std::string(name);
      threads_[record.thread].rings.reset();
      return sink.OnThreadEnd(record);
    }
    case RecordType::kStackNodes:
      return DecodeStackNodes(cursor, sink);
    case RecordType::kModuleLoad:
      return DecodeModuleLoad(cursor, sink);
    case RecordType::kModuleUnload: {
      ModuleUnloadRecord record;
      HEAPTRAIL_ASSIGN_OR_RETURN(record.module_id, cursor.ReadVarint());
      HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t epoch,
                                 cursor.ReadVarintAtMost(kMaxU32, "epoch"));
      record.epoch = static_cast<uint32_t>(epoch);
      return sink.OnModuleUnload(record);
    }
    case RecordType::kRoundEnd: {
      HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t tick, cursor.ReadVarint());
      return sink.OnRoundEnd(tick);
    }
    case RecordType::kClockSync: {
      ClockSyncRecord record;
      HEAPTRAIL_ASSIGN_OR_RETURN(record.tick, cursor.ReadVarint());
      HEAPTRAIL_ASSIGN_OR_RETURN(record.mono_ns, cursor.ReadVarint());
      return sink.OnClockSync(record);
    }
    case RecordType::kRss: {
      RssRecord record;
      HEAPTRAIL_ASSIGN_OR_RETURN(record.tick, cursor.ReadVarint());
      HEAPTRAIL_ASSIGN_OR_RETURN(record.rss_bytes, cursor.ReadVarint());
      return sink.OnRss(record);
    }
    case RecordType::kSnapshot: {
      SnapshotRecord record;
      HEAPTRAIL_ASSIGN_OR_RETURN(record.tick, cursor.ReadVarint());
      HEAPTRAIL_ASSIGN_OR_RETURN(
          const uint64_t source,
          cursor.ReadVarintAtMost(
              static_cast<uint64_t>(format::SnapshotSource::kSignalWithLeaks),
              "snapshot source"));
      record.source = static_cast<format::SnapshotSource>(source);
      HEAPTRAIL_ASSIGN_OR_RETURN(
          const std::string_view label,
          cursor.ReadString(format::kMaxStringSize, "snapshot label"));
      record.label = std::string(label);
      return sink.OnSnapshot(record);
    }
    case RecordType::kProcessInfo: {
      ProcessInfoRecord record;
      HEAPTRAIL_ASSIGN_OR_RETURN(
          const std::string_view executable,
          cursor.ReadString(format::kMaxStringSize, "executable"));
      record.executable = std::string(executable);
      HEAPTRAIL_ASSIGN_OR_RETURN(
          const uint64_t argc,
          cursor.ReadVarintAtMost(cursor.remaining() / kMinStringBytes,
                                  "argument count"));
      record.argv.reserve(argc);
      for (uint64_t i = 0; i < argc; ++i) {
        HEAPTRAIL_ASSIGN_OR_RETURN(
            const std::string_view arg,
            cursor.ReadString(format::kMaxStringSize, "argument"));
        record.argv.emplace_back(arg);
      }
      return sink.OnProcessInfo(record);
    }
    case RecordType::kEnd: {
      HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t tick, cursor.ReadVarint());
      return sink.OnEnd(tick);
    }
    case RecordType::kLeakKinds:
      return DecodeLeakKinds(cursor, sink);
    case RecordType::kPythonInterpreter:
      return DecodePythonInterpreter(cursor, sink);
    case RecordType::kPythonCode:
      return DecodePythonCode(cursor, sink);
  }
  return absl::DataLossError(absl::StrFormat(
      "unknown record type %d (corrupt trace, or written by a newer "
      "heaptrail)",
      type));
}

absl::Status RecordDecoder::DecodeLeakKinds(ByteCursor& cursor,
                                            RecordSink& sink) {
  LeakKindsRecord record;
  HEAPTRAIL_ASSIGN_OR_RETURN(record.tick, cursor.ReadVarint());
  HEAPTRAIL_ASSIGN_OR_RETURN(record.pause_ns, cursor.ReadVarint());
  // A block takes at least two bytes: its address delta and its kind.
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t count,
      cursor.ReadVarintAtMost(cursor.remaining() / 2, "leak kind count"));
  record.addresses.reserve(count);
  record.kinds.reserve(count);
  uint64_t address = 0;
  for (uint64_t i = 0; i < count; ++i) {
    HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t delta, cursor.ReadVarint());
    if (i != 0 && delta == 0) {
      return absl::DataLossError("leak kinds: addresses not ascending");
    }
    address += delta;
    HEAPTRAIL_ASSIGN_OR_RETURN(const uint8_t kind, cursor.ReadByte());
    if ((kind >> 2) > uint8_t(format::LeakHeuristic::kMultipleInheritance)) {
      return absl::DataLossError(
          absl::StrFormat("leak kinds: bad kind byte %d", kind));
    }
    record.addresses.push_back(address);
    record.kinds.push_back(kind);
  }
  return sink.OnLeakKinds(record);
}

absl::Status RecordDecoder::DecodeThreadEvents(ByteCursor& cursor,
                                               RecordSink& sink) {
  HEAPTRAIL_ASSIGN_OR_RETURN(const uint32_t slot, ReadThread(cursor));
  HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t byte_count, cursor.ReadVarint());
  HEAPTRAIL_ASSIGN_OR_RETURN(const std::span<const uint8_t> bytes,
                             cursor.ReadBytes(byte_count, "thread events"));
  ByteCursor events(bytes);
  absl::Status status = DecodeEvents(
      EventFields{&events, &events, &events, &events, &events, false, nullptr},
      slot, sink);
  if (!status.ok()) {
    return absl::Status(
        status.code(),
        absl::StrFormat("events of thread %d, at offset %d of the record: %s",
                        threads_[slot].index, events.offset(),
                        status.message()));
  }
  return absl::OkStatus();
}

absl::Status RecordDecoder::DecodeColumnSections(ByteCursor& cursor) {
  if (!sections_.empty()) {
    return absl::DataLossError("a second column sections record in the chunk");
  }
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t count,
      cursor.ReadVarintAtMost(format::kMaxColumnSections, "section count"));
  std::vector<std::pair<uint32_t, std::array<uint64_t, 1 + format::kEventFieldCount>>>
      headers(count);
  for (auto& [slot, lengths] : headers) {
    HEAPTRAIL_ASSIGN_OR_RETURN(slot, ReadThread(cursor));
    for (uint64_t& length : lengths) {
      HEAPTRAIL_ASSIGN_OR_RETURN(length, cursor.ReadVarint());
    }
  }
  for (const auto& [slot, lengths] : headers) {
    auto [it, inserted] = sections_.try_emplace(slot);
    if (!inserted) {
      return absl::DataLossError(absl::StrFormat(
          "two column sections for thread %d", threads_[slot].index));
    }
    for (int i = 0; i < 1 + format::kEventFieldCount; ++i) {
      HEAPTRAIL_ASSIGN_OR_RETURN(const std::span<const uint8_t> bytes,
                                 cursor.ReadBytes(lengths[i], "column section"));
      it->second[i] = ByteCursor(bytes);
    }
  }
  return absl::OkStatus();
}

absl::Status RecordDecoder::DecodeThreadEventColumns(ByteCursor& cursor,
                                                     RecordSink& sink,
                                                     bool apart) {
  HEAPTRAIL_ASSIGN_OR_RETURN(const uint32_t slot, ReadThread(cursor));
  uint64_t lengths[1 + format::kEventFieldCount];
  for (uint64_t& length : lengths) {
    HEAPTRAIL_ASSIGN_OR_RETURN(length, cursor.ReadVarint());
  }
  ByteCursor* source = &cursor;
  std::array<ByteCursor, 1 + format::kEventFieldCount>* section = nullptr;
  if (apart) {
    const auto it = sections_.find(slot);
    if (it == sections_.end()) {
      return absl::DataLossError(absl::StrFormat(
          "event columns of thread %d without a column section",
          threads_[slot].index));
    }
    section = &it->second;
  }
  ByteCursor columns[1 + format::kEventFieldCount];
  for (int i = 0; i < 1 + format::kEventFieldCount; ++i) {
    if (section != nullptr) source = &(*section)[i];
    HEAPTRAIL_ASSIGN_OR_RETURN(const std::span<const uint8_t> bytes,
                               source->ReadBytes(lengths[i], "event column"));
    columns[i] = ByteCursor(bytes);
  }
  // Since version 6, addresses by reference to the thread's recent ones;
  // before, whole.
  std::unique_ptr<AddressRings>& rings = threads_[slot].rings;
  if (rings == nullptr && version_ >= 6)
    rings = std::make_unique<AddressRings>();
  absl::Status status =
      DecodeEvents(EventFields{&columns[0], &columns[1], &columns[2],
                               &columns[3], &columns[4], true, rings.get()},
                   slot, sink);
  if (status.ok()) {
    for (int i = 1; i < 1 + format::kEventFieldCount; ++i) {
      if (!columns[i].empty()) {
        status = absl::DataLossError(
            absl::StrFormat("column %d has %d bytes past its events", i,
                            columns[i].remaining()));
      }
    }
  }
  if (!status.ok()) {
    return absl::Status(
        status.code(),
        absl::StrFormat("event columns of thread %d, at event %d: %s",
                        threads_[slot].index, columns[0].offset(),
                        status.message()));
  }
  return absl::OkStatus();
}

absl::Status RecordDecoder::DecodeEvents(const EventFields& fields,
                                         uint32_t slot, RecordSink& sink) {
  // The events decoded before an error are handed on too.
  std::vector<Event>& events = sink.EventsOf(slot);
  const size_t first = events.size();
  // Room at once for the most events the record can hold: the merger's
  // queues keep a round's events, hundreds of thousands, and growing by
  // push_back would copy them into fresh pages at every doubling (the
  // reservation is only address space until written).
  const size_t most = fields.columns
                          ? fields.tags->remaining()
                          : fields.tags->remaining() / kMinRowEventBytes;
  if (events.capacity() - first < most) {
    events.reserve(std::max(2 * events.capacity(), first + most));
  }
  const absl::Status status = DecodeEventsInto(fields, slot, events);
  if (events.size() != first) sink.EventsAppended(slot, first);
  return status;
}

namespace {

// The most bytes one row event takes: a tag, and at most four varints.
constexpr size_t kMaxRowEventBytes = 1 + 4 * kMaxVarintBytes;

// Rows hold the address as a delta from the previous one.
absl::Status ReadAddressDelta(ByteCursor& cursor, uint64_t& address) {
  HEAPTRAIL_ASSIGN_OR_RETURN(const int64_t delta, cursor.ReadSvarint());
  address += static_cast<uint64_t>(delta);
  return absl::OkStatus();
}

inline bool ReadSvarintUnchecked(const uint8_t*& p, uint64_t& value) {
  if (!ReadVarintUnchecked(p, value)) return false;
  value = ZigzagDecode(value);
  return true;
}

// One row event at `p`, with no bounds check (kMaxRowEventBytes readable):
// the event with its tick and address advanced from `tick` and `address`,
// and `p` past it. False, leaving all as they were, on anything the checked
// path must see: a rarer tag, an unknown kind, a field out of range.
inline bool DecodeRowUnchecked(const uint8_t*& p, uint64_t tick,
                               uint64_t address, Event& event) {
  const uint8_t* q = p;
  const uint8_t tag = *q++;
  const uint8_t kind = format::EventKindOf(tag);
  uint64_t dtick, delta;
  uint64_t size = 0, stack = 0;
  EventType type;
  if (!ReadVarintUnchecked(q, dtick)) return false;
  switch (format::EventTagOf(tag)) {
    case format::EventTag::kAlloc:
      if (kind >= format::kAllocKindCount ||
          !ReadShortVarintUnchecked(q, size) || size > Event::kMaxSize ||
          !ReadSvarintUnchecked(q, delta) || !ReadVarintUnchecked(q, stack) ||
          stack > kMaxU32) {
        return false;
      }
      type = EventType::kAlloc;
      break;
    case format::EventTag::kFree:
      if (kind >= format::kFreeKindCount || !ReadSvarintUnchecked(q, delta))
        return false;
      type = EventType::kFree;
      break;
    default:
      return false;
  }
  event.tick = tick + dtick;
  event.address = address + delta;
  event.size = size;
  event.type = type;
  event.kind = kind;
  event.stack_id = static_cast<uint32_t>(stack);
  p = q;
  return true;
}

}  // namespace

size_t RecordDecoder::DecodeRowsFast(std::span<const uint8_t> bytes,
                                     uint32_t slot, uint64_t& tick,
                                     uint64_t& address,
                                     std::vector<Event>& events) {
  if (bytes.size() < kMaxRowEventBytes) return 0;
  const uint8_t* const begin = bytes.data();
  const uint8_t* const safe_end = begin + bytes.size() - kMaxRowEventBytes;
  const uint8_t* p = begin;
  // The delta state in locals: through the references, every store into
  // `events` could alias it, and it would be reloaded for every event.
  Event event;
  event.tick = tick;
  event.address = address;
  event.thread = slot;
  while (p <= safe_end && DecodeRowUnchecked(p, event.tick, event.address,
                                             event)) {
    events.push_back(event);
  }
  tick = event.tick;
  address = event.address;
  return p - begin;
}

size_t RecordDecoder::DecodeColumnsFast(const EventFields& fields,
                                        uint32_t slot, uint64_t& tick,
                                        uint64_t& address,
                                        std::vector<Event>& events) {
  // Each column read through a pointer of its own, with the room for a
  // whole field (the most bytes it can take) checked once per event.
  struct Column {
    const uint8_t* p;
    const uint8_t* end;
    ptrdiff_t field_bytes;
    Column(const ByteCursor& cursor, size_t most_bytes)
        : p(cursor.unread().data()),
          end(p + cursor.remaining()),
          field_bytes(static_cast<ptrdiff_t>(most_bytes)) {}
    bool room() const { return end - p >= field_bytes; }
  };
  const uint8_t* const tags_begin = fields.tags->unread().data();
  const uint8_t* tags = tags_begin;
  const uint8_t* const tags_end = tags + fields.tags->remaining();
  Column ticks(*fields.ticks, kMaxVarintBytes);
  Column sizes(*fields.sizes, kMaxVarintBytes);
  Column addresses(*fields.addresses, 2 * kMaxVarintBytes);
  Column stacks(*fields.stacks, kMaxVarintBytes);
  const uint8_t* const ticks_begin = ticks.p;
  const uint8_t* const sizes_begin = sizes.p;
  const uint8_t* const addresses_begin = addresses.p;
  const uint8_t* const stacks_begin = stacks.p;
  AddressRings& rings = *fields.rings;

  Event event;
  event.thread = slot;
  while (tags != tags_end && ticks.room() && addresses.room()) {
    const uint8_t tag = *tags;
    const uint8_t kind = format::EventKindOf(tag);
    // Every field is read ahead of any change, so that an event the checked
    // loop must see leaves everything as it was.
    const uint8_t* tick_p = ticks.p;
    uint64_t dtick;
    if (!ReadVarintUnchecked(tick_p, dtick)) break;
    if (format::EventTagOf(tag) == format::EventTag::kAlloc) {
      if (kind >= format::kAllocKindCount || !sizes.room() || !stacks.room()) {
        break;
      }
      const uint8_t* size_p = sizes.p;
      const uint8_t* stack_p = stacks.p;
      uint64_t size, stack;
      if (!ReadShortVarintUnchecked(size_p, size) || size > Event::kMaxSize ||
          !ReadVarintUnchecked(stack_p, stack) || stack > kMaxU32 ||
          !rings.TryReadAllocation(addresses.p, address)) {
        break;
      }
      sizes.p = size_p;
      stacks.p = stack_p;
      event.type = EventType::kAlloc;
      event.size = size;
      event.stack_id = static_cast<uint32_t>(stack);
    } else if (format::EventTagOf(tag) == format::EventTag::kFree) {
      if (kind >= format::kFreeKindCount ||
          !rings.TryReadRelease(addresses.p, address)) {
        break;
      }
      event.type = EventType::kFree;
      event.size = 0;
      event.stack_id = 0;
    } else {
      break;
    }
    ++tags;
    ticks.p = tick_p;
    tick += dtick;
    event.kind = kind;
    event.tick = tick;
    event.address = address;
    events.push_back(event);
  }
  fields.ticks->Skip(ticks.p - ticks_begin);
  fields.sizes->Skip(sizes.p - sizes_begin);
  fields.addresses->Skip(addresses.p - addresses_begin);
  fields.stacks->Skip(stacks.p - stacks_begin);
  return tags - tags_begin;
}

absl::Status RecordDecoder::ReadAddressField(const EventFields& fields,
                                             format::EventTag tag,
                                             uint64_t& address) {
  if (fields.rings != nullptr) {
    return tag == format::EventTag::kAlloc
               ? fields.rings->ReadAllocation(*fields.addresses, address)
               : fields.rings->ReadRelease(
                     *fields.addresses, tag != format::EventTag::kReallocFailed,
                     address);
  }
  if (!fields.columns) return ReadAddressDelta(*fields.addresses, address);
  HEAPTRAIL_ASSIGN_OR_RETURN(const std::span<const uint8_t> bytes,
                             fields.addresses->ReadBytes(8, "address"));
  address = 0;
  for (int i = 7; i >= 0; --i) address = address << 8 | bytes[i];
  return absl::OkStatus();
}

absl::Status RecordDecoder::DecodeEventsInto(const EventFields& fields,
                                             uint32_t slot,
                                             std::vector<Event>& events) {
  // Work on copies of the delta state: the loop is hot and the vector could
  // not be reallocated under us anyway, but locals stay in registers.
  uint64_t tick = threads_[slot].last_tick;
  uint64_t address = threads_[slot].last_address;
  if (!fields.columns) {
    // Rows: most events take the unchecked fast path, which
    // stops short of the end and at anything unusual; the checked loop
    // below takes over from there.
    fields.tags->Skip(DecodeRowsFast(fields.tags->unread(), slot, tick,
                                     address, events));
  } else if (fields.rings != nullptr) {
    // Columns with address references (the recorder's default): the same.
    fields.tags->Skip(DecodeColumnsFast(fields, slot, tick, address, events));
  }
  Event event;
  event.thread = slot;
  while (!fields.tags->empty()) {
    HEAPTRAIL_ASSIGN_OR_RETURN(const uint8_t tag, fields.tags->ReadByte());
    const uint8_t kind = format::EventKindOf(tag);
    HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t dtick,
                               fields.ticks->ReadVarint());
    tick += dtick;  // wraps only on a corrupt file; the merger clamps
    switch (format::EventTagOf(tag)) {
      case format::EventTag::kAlloc: {
        if (kind >= format::kAllocKindCount) {
          return absl::DataLossError(
              absl::StrFormat("unknown allocation kind %d", kind));
        }
        HEAPTRAIL_ASSIGN_OR_RETURN(
            event.size,
            fields.sizes->ReadVarintAtMost(Event::kMaxSize, "allocation size"));
        HEAPTRAIL_RETURN_IF_ERROR(
            ReadAddressField(fields, format::EventTag::kAlloc, address));
        HEAPTRAIL_ASSIGN_OR_RETURN(
            const uint64_t stack,
            fields.stacks->ReadVarintAtMost(kMaxU32, "stack id"));
        event.type = EventType::kAlloc;
        event.stack_id = static_cast<uint32_t>(stack);
        break;
      }
      case format::EventTag::kFree:
      case format::EventTag::kFreeWithStack: {
        if (kind >= format::kFreeKindCount) {
          return absl::DataLossError(
              absl::StrFormat("unknown free kind %d", kind));
        }
        HEAPTRAIL_RETURN_IF_ERROR(
            ReadAddressField(fields, format::EventTag::kFree, address));
        event.type = EventType::kFree;
        event.size = 0;
        event.stack_id = 0;
        if (format::EventTagOf(tag) == format::EventTag::kFreeWithStack) {
          HEAPTRAIL_ASSIGN_OR_RETURN(
              const uint64_t stack,
              fields.stacks->ReadVarintAtMost(kMaxU32, "stack id"));
          event.stack_id = static_cast<uint32_t>(stack);
        }
        break;
      }
      case format::EventTag::kReallocFailed: {
        if (kind != 0) {
          return absl::DataLossError(
              absl::StrFormat("realloc-failed event with kind %d", kind));
        }
        HEAPTRAIL_RETURN_IF_ERROR(ReadAddressField(
            fields, format::EventTag::kReallocFailed, address));
        event.type = EventType::kReallocFailed;
        event.size = 0;
        event.stack_id = 0;
        break;
      }
      default:
        return absl::DataLossError(
            absl::StrFormat("unknown event tag 0x%02x", tag));
    }
    event.kind = kind;
    event.tick = tick;
    event.address = address;
    events.push_back(event);
  }
  threads_[slot].last_tick = tick;
  threads_[slot].last_address = address;
  return absl::OkStatus();
}

absl::Status RecordDecoder::DecodeStackNodes(ByteCursor& cursor,
                                             RecordSink& sink) {
  HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t first_id, cursor.ReadVarint());
  if (first_id != stack_node_count_) {
    return absl::DataLossError(absl::StrFormat(
        "stack nodes start at id %d, expected %d (ids must be dense)", first_id,
        stack_node_count_));
  }
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t count,
      cursor.ReadVarintAtMost(cursor.remaining() / kMinStackNodeBytes,
                              "stack node count"));
  if (count > kMaxU32 - first_id) {
    return absl::DataLossError("stack node ids overflow 32 bits");
  }
  StackNodesRecord& record = nodes_scratch_;
  record.first_id = static_cast<uint32_t>(first_id);
  record.nodes.clear();
  record.nodes.reserve(count);
  uint64_t ip = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t id = first_id + i;
    StackNode node;
    // Since version 6, the parent by its distance; before, its id.
    HEAPTRAIL_ASSIGN_OR_RETURN(
        const uint64_t field,
        cursor.ReadVarintAtMost(version_ >= 6 ? id : id - 1,
                                "stack node parent"));
    if (version_ >= 6 && field == 0) {
      return absl::DataLossError("stack node is its own parent");
    }
    const uint64_t parent = version_ >= 6 ? id - field : field;
    // Since version 7, the ip by its number among the trace's ips.
    bool new_ip = true;
    if (version_ >= 7) {
      HEAPTRAIL_ASSIGN_OR_RETURN(const int64_t step, cursor.ReadSvarint());
      const uint64_t index =
          previous_ip_index_ + 1 + static_cast<uint64_t>(step);
      if (index > stack_ips_.size()) {
        return absl::DataLossError(absl::StrFormat(
            "stack node ip number %d is beyond the %d known ips", index,
            stack_ips_.size()));
      }
      previous_ip_index_ = index;
      new_ip = index == stack_ips_.size();
      if (!new_ip) ip = stack_ips_[index];
    }
    if (new_ip) {
      HEAPTRAIL_ASSIGN_OR_RETURN(const int64_t ip_delta, cursor.ReadSvarint());
      if (version_ >= 7) {
        ip = latest_new_ip_ + static_cast<uint64_t>(ip_delta);
        latest_new_ip_ = ip;
        stack_ips_.push_back(ip);
      } else {
        ip += static_cast<uint64_t>(ip_delta);
      }
    }
    HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t epoch,
                               cursor.ReadVarintAtMost(kMaxU32, "epoch"));
    node.parent = static_cast<uint32_t>(parent);
    node.ip = ip;
    node.epoch = static_cast<uint32_t>(epoch);
    record.nodes.push_back(node);
  }
  stack_node_count_ += static_cast<uint32_t>(count);
  return sink.OnStackNodes(record);
}

absl::Status RecordDecoder::DecodeModuleLoad(ByteCursor& cursor,
                                             RecordSink& sink) {
  ModuleLoadRecord record;
  HEAPTRAIL_ASSIGN_OR_RETURN(record.module_id, cursor.ReadVarint());
  HEAPTRAIL_ASSIGN_OR_RETURN(const uint64_t epoch,
                             cursor.ReadVarintAtMost(kMaxU32, "epoch"));
  record.epoch = static_cast<uint32_t>(epoch);
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const std::string_view path,
      cursor.ReadString(format::kMaxStringSize, "module path"));
  record.info.path = std::string(path);
  HEAPTRAIL_ASSIGN_OR_RETURN(record.info.load_bias, cursor.ReadVarint());
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t build_id_size,
      cursor.ReadVarintAtMost(format::kMaxBuildIdSize, "build-id size"));
  HEAPTRAIL_ASSIGN_OR_RETURN(const std::span<const uint8_t> build_id,
                             cursor.ReadBytes(build_id_size, "build-id"));
  record.info.build_id.assign(build_id.begin(), build_id.end());
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t segment_count,
      cursor.ReadVarintAtMost(format::kMaxSegments, "segment count"));
  if (segment_count > cursor.remaining() / kMinSegmentBytes) {
    return absl::DataLossError("segment table runs past the end of the chunk");
  }
  record.info.segments.resize(segment_count);
  for (Segment& segment : record.info.segments) {
    HEAPTRAIL_ASSIGN_OR_RETURN(segment.vaddr, cursor.ReadVarint());
    HEAPTRAIL_ASSIGN_OR_RETURN(segment.memsz, cursor.ReadVarint());
    HEAPTRAIL_ASSIGN_OR_RETURN(segment.file_offset, cursor.ReadVarint());
    HEAPTRAIL_ASSIGN_OR_RETURN(
        const uint64_t flags,
        cursor.ReadVarintAtMost(kMaxU32, "segment flags"));
    segment.flags = static_cast<uint32_t>(flags);
  }
  return sink.OnModuleLoad(record);
}

absl::Status RecordDecoder::DecodePythonInterpreter(ByteCursor& cursor,
                                                    RecordSink& sink) {
  PythonInterpreterRecord record;
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t version,
      cursor.ReadVarintAtMost(kMaxU32, "Python version"));
  record.version = static_cast<uint32_t>(version);
  HEAPTRAIL_ASSIGN_OR_RETURN(record.runtime_address, cursor.ReadVarint());
  // The address is how the interpreter's module is found: without it no
  // frame could be told apart from the interpreter's own.
  if (record.runtime_address == 0) {
    return absl::DataLossError("Python interpreter with runtime address 0");
  }
  return sink.OnPythonInterpreter(record);
}

absl::Status RecordDecoder::DecodePythonCode(ByteCursor& cursor,
                                             RecordSink& sink) {
  PythonCodeRecord record;
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t code_id,
      cursor.ReadVarintAtMost(format::kMaxPythonCodeId, "Python code id"));
  // Stack nodes name code objects by id; 0 is never handed out.
  if (code_id == 0) return absl::DataLossError("Python code id 0");
  record.code_id = static_cast<uint32_t>(code_id);
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t first_line,
      cursor.ReadVarintAtMost(std::numeric_limits<int32_t>::max(),
                              "Python first line"));
  record.code.first_line = static_cast<uint32_t>(first_line);
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const std::string_view file,
      cursor.ReadString(format::kMaxStringSize, "Python file name"));
  record.code.file = std::string(file);
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const std::string_view name,
      cursor.ReadString(format::kMaxStringSize, "Python qualified name"));
  record.code.qualified_name = std::string(name);
  HEAPTRAIL_ASSIGN_OR_RETURN(
      const uint64_t table_size,
      cursor.ReadVarintAtMost(format::kMaxPythonLineTableSize,
                              "Python line table size"));
  HEAPTRAIL_ASSIGN_OR_RETURN(const std::span<const uint8_t> table,
                             cursor.ReadBytes(table_size, "Python line table"));
  record.code.line_table.assign(table.begin(), table.end());
  return sink.OnPythonCode(record);
}

}  // namespace heaptrail::analyzer
