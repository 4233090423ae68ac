// TraceBuilder: the encoder half of the format, for tests only. It mirrors
// the layouts commented in trace_format.h field by field.

#include "trace/trace_builder.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace heaptrail::analyzer::testing {

using format::RecordType;

TraceBuilder::TraceBuilder(format::ClockKind clock) {
  std::memcpy(header_.magic, format::kFileMagic, sizeof(header_.magic));
  header_.version = format::kFormatVersion;
  header_.header_size = sizeof(format::FileHeader);
  header_.start_tick = 1000;
  header_.start_unix_ns = 1'700'000'000'000'000'000;
  header_.start_mono_ns = 5'000'000'000;
  header_.pid = 4242;
  header_.ppid = 1;
  header_.clock_kind = static_cast<uint32_t>(clock);
  header_.ticks_per_second =
      clock == format::ClockKind::kTsc ? 2'000'000'000 : 1'000'000'000;
}

void TraceBuilder::PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void TraceBuilder::PutSvarint(std::string& out, int64_t value) {
  PutVarint(out, (static_cast<uint64_t>(value) << 1) ^
                     static_cast<uint64_t>(value >> 63));
}

void TraceBuilder::PutString(std::string& out, std::string_view value) {
  PutVarint(out, value.size());
  out.append(value);
}

std::string TraceBuilder::Compress(std::string_view raw) {
  std::string frame(ZSTD_compressBound(raw.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  const size_t n =
      ZSTD_compress2(cctx, frame.data(), frame.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(cctx);
  frame.resize(ZSTD_isError(n) ? 0 : n);
  return frame;
}

TraceBuilder::ThreadState& TraceBuilder::Thread(uint32_t thread) {
  ThreadState& state = threads_[thread];
  if (state.pending.empty() &&
      std::find(pending_order_.begin(), pending_order_.end(), thread) ==
          pending_order_.end()) {
    pending_order_.push_back(thread);
  }
  return state;
}

TraceBuilder& TraceBuilder::Alloc(uint32_t thread, uint64_t tick,
                                  uint64_t address, uint64_t size,
                                  uint32_t stack_id, format::AllocKind kind) {
  ThreadState& state = Thread(thread);
  state.pending.push_back(static_cast<char>(format::MakeEventTag(
      format::EventTag::kAlloc, static_cast<uint8_t>(kind))));
  PutVarint(state.pending, tick - state.last_tick);
  PutVarint(state.pending, size);
  PutSvarint(state.pending, static_cast<int64_t>(address - state.last_address));
  PutVarint(state.pending, stack_id);
  state.last_tick = tick;
  state.last_address = address;
  return *this;
}

TraceBuilder& TraceBuilder::Free(uint32_t thread, uint64_t tick,
                                 uint64_t address, format::FreeKind kind) {
  ThreadState& state = Thread(thread);
  state.pending.push_back(static_cast<char>(format::MakeEventTag(
      format::EventTag::kFree, static_cast<uint8_t>(kind))));
  PutVarint(state.pending, tick - state.last_tick);
  PutSvarint(state.pending, static_cast<int64_t>(address - state.last_address));
  state.last_tick = tick;
  state.last_address = address;
  return *this;
}

TraceBuilder& TraceBuilder::FreeWithStack(uint32_t thread, uint64_t tick,
                                          uint64_t address, uint32_t stack_id,
                                          format::FreeKind kind) {
  ThreadState& state = Thread(thread);
  state.pending.push_back(static_cast<char>(format::MakeEventTag(
      format::EventTag::kFreeWithStack, static_cast<uint8_t>(kind))));
  PutVarint(state.pending, tick - state.last_tick);
  PutSvarint(state.pending, static_cast<int64_t>(address - state.last_address));
  PutVarint(state.pending, stack_id);
  state.last_tick = tick;
  state.last_address = address;
  return *this;
}

TraceBuilder& TraceBuilder::ReallocFailed(uint32_t thread, uint64_t tick,
                                          uint64_t address) {
  ThreadState& state = Thread(thread);
  state.pending.push_back(static_cast<char>(
      format::MakeEventTag(format::EventTag::kReallocFailed, 0)));
  PutVarint(state.pending, tick - state.last_tick);
  PutSvarint(state.pending, static_cast<int64_t>(address - state.last_address));
  state.last_tick = tick;
  state.last_address = address;
  return *this;
}

TraceBuilder& TraceBuilder::FlushEvents() {
  for (uint32_t thread : pending_order_) {
    ThreadState& state = threads_[thread];
    if (state.pending.empty()) continue;
    chunk_open_ = true;
    records_.push_back(static_cast<char>(RecordType::kThreadEvents));
    PutVarint(records_, thread);
    PutVarint(records_, state.pending.size());
    records_.append(state.pending);
    state.pending.clear();
  }
  pending_order_.clear();
  return *this;
}

void TraceBuilder::Record(RecordType type) {
  FlushEvents();
  chunk_open_ = true;
  records_.push_back(static_cast<char>(type));
}

TraceBuilder& TraceBuilder::ThreadStart(uint32_t thread, uint64_t os_tid,
                                        uint64_t tick) {
  Record(RecordType::kThreadStart);
  PutVarint(records_, thread);
  PutVarint(records_, os_tid);
  PutVarint(records_, tick);
  return *this;
}

TraceBuilder& TraceBuilder::ThreadEnd(uint32_t thread, uint64_t tick,
                                      std::string_view name) {
  Record(RecordType::kThreadEnd);
  PutVarint(records_, thread);
  PutVarint(records_, tick);
  PutString(records_, name);
  return *this;
}

TraceBuilder& TraceBuilder::StackNodes(uint32_t first_id,
                                       const std::vector<StackNode>& nodes) {
  Record(RecordType::kStackNodes);
  PutVarint(records_, first_id);
  PutVarint(records_, nodes.size());
  uint32_t id = first_id;
  for (const StackNode& node : nodes) {
    PutVarint(records_, id++ - node.parent);
    auto known = std::find(stack_ips_.begin(), stack_ips_.end(), node.ip);
    const uint64_t index = known - stack_ips_.begin();
    PutSvarint(records_, static_cast<int64_t>(index - previous_ip_index_ - 1));
    previous_ip_index_ = index;
    if (known == stack_ips_.end()) {
      PutSvarint(records_, static_cast<int64_t>(
                               node.ip - (stack_ips_.empty() ? 0 : stack_ips_.back())));
      stack_ips_.push_back(node.ip);
    }
    PutVarint(records_, node.epoch);
  }
  return *this;
}

TraceBuilder& TraceBuilder::ModuleLoad(uint64_t module_id, uint32_t epoch,
                                       const ModuleInfo& info) {
  Record(RecordType::kModuleLoad);
  PutVarint(records_, module_id);
  PutVarint(records_, epoch);
  PutString(records_, info.path);
  PutVarint(records_, info.load_bias);
  PutString(records_, info.build_id);
  PutVarint(records_, info.segments.size());
  for (const Segment& segment : info.segments) {
    PutVarint(records_, segment.vaddr);
    PutVarint(records_, segment.memsz);
    PutVarint(records_, segment.file_offset);
    PutVarint(records_, segment.flags);
  }
  return *this;
}

TraceBuilder& TraceBuilder::ModuleUnload(uint64_t module_id, uint32_t epoch) {
  Record(RecordType::kModuleUnload);
  PutVarint(records_, module_id);
  PutVarint(records_, epoch);
  return *this;
}

TraceBuilder& TraceBuilder::RoundEnd(uint64_t tick) {
  Record(RecordType::kRoundEnd);
  PutVarint(records_, tick);
  return *this;
}

TraceBuilder& TraceBuilder::ClockSync(uint64_t tick, uint64_t mono_ns) {
  Record(RecordType::kClockSync);
  PutVarint(records_, tick);
  PutVarint(records_, mono_ns);
  return *this;
}

TraceBuilder& TraceBuilder::Rss(uint64_t tick, uint64_t rss_bytes) {
  Record(RecordType::kRss);
  PutVarint(records_, tick);
  PutVarint(records_, rss_bytes);
  return *this;
}

TraceBuilder& TraceBuilder::Snapshot(uint64_t tick, std::string_view label,
                                     format::SnapshotSource source) {
  Record(RecordType::kSnapshot);
  PutVarint(records_, tick);
  PutVarint(records_, static_cast<uint64_t>(source));
  PutString(records_, label);
  return *this;
}

TraceBuilder& TraceBuilder::ProcessInfo(std::string_view executable,
                                        const std::vector<std::string>& argv) {
  Record(RecordType::kProcessInfo);
  PutString(records_, executable);
  PutVarint(records_, argv.size());
  for (const std::string& arg : argv) PutString(records_, arg);
  return *this;
}

TraceBuilder& TraceBuilder::End(uint64_t tick) {
  Record(RecordType::kEnd);
  PutVarint(records_, tick);
  return *this;
}

TraceBuilder& TraceBuilder::PythonInterpreter(uint32_t version,
                                              uint64_t runtime_address) {
  Record(RecordType::kPythonInterpreter);
  PutVarint(records_, version);
  PutVarint(records_, runtime_address);
  return *this;
}

TraceBuilder& TraceBuilder::PythonCode(uint32_t code_id, uint32_t first_line,
                                       std::string_view file,
                                       std::string_view qualified_name,
                                       std::string_view line_table) {
  Record(RecordType::kPythonCode);
  PutVarint(records_, code_id);
  PutVarint(records_, first_line);
  PutString(records_, file);
  PutString(records_, qualified_name);
  PutString(records_, line_table);  // the same layout: size, then bytes
  return *this;
}

std::string TraceBuilder::PythonLineTable(
    const std::vector<PythonLineEntry>& entries) {
  std::string table;
  for (const PythonLineEntry& entry : entries) {
    const int code = entry.no_location ? 15 : 13;
    table.push_back(static_cast<char>(0x80 | code << 3 | (entry.units - 1)));
    if (entry.no_location) continue;
    // svarint: sign in bit 0, then 6-bit groups with 0x40 for "more".
    uint64_t value = entry.delta < 0
                         ? (uint64_t(-int64_t{entry.delta}) << 1) | 1
                         : uint64_t(entry.delta) << 1;
    while (value >= 0x40) {
      table.push_back(static_cast<char>(0x40 | (value & 0x3f)));
      value >>= 6;
    }
    table.push_back(static_cast<char>(value));
  }
  return table;
}

TraceBuilder& TraceBuilder::Raw(std::string_view bytes) {
  FlushEvents();
  chunk_open_ = true;
  records_.append(bytes);
  return *this;
}

TraceBuilder& TraceBuilder::EndChunk() {
  FlushEvents();
  const std::string frame = Compress(records_);
  format::ChunkHeader chunk{};
  chunk.magic = format::kChunkMagic;
  chunk.compressed_size = static_cast<uint32_t>(frame.size());
  chunk.raw_size = static_cast<uint32_t>(records_.size());
  chunk.sequence = static_cast<uint32_t>(chunks_.size());
  std::string bytes(reinterpret_cast<const char*>(&chunk), sizeof(chunk));
  bytes += frame;
  chunks_.push_back(std::move(bytes));
  records_.clear();
  chunk_open_ = false;
  return *this;
}

std::string TraceBuilder::Build() {
  FlushEvents();
  if (chunk_open_) EndChunk();
  std::string file(reinterpret_cast<const char*>(&header_), sizeof(header_));
  file.resize(std::max<size_t>(file.size(), header_.header_size), '\0');
  chunk_offsets_.clear();
  for (const std::string& chunk : chunks_) {
    chunk_offsets_.push_back(file.size());
    file += chunk;
  }
  return file;
}

absl::Status TraceBuilder::WriteFile(const std::string& path) {
  const std::string bytes = Build();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError("cannot write " + path);
  return absl::OkStatus();
}

}  // namespace heaptrail::analyzer::testing
