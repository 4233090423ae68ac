// AnalyzeTrace: the record sink that routes each record to its consumer,
// and the chunk loop.

#include "replay/trace_analysis.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "replay/event_merger.h"
#include "replay/heap_replayer.h"
#include "trace/chunk_prefetcher.h"
#include "trace/record_decoder.h"
#include "trace/status_macros.h"
#include "trace/trace_reader.h"

namespace heaptrail::analyzer {
namespace {

class Loader : public RecordSink, public EventSink {
 public:
  Loader(TraceAnalysis& analysis, const AnalyzeOptions& options)
      : analysis_(analysis),
        options_(options),
        merger_(this, options.max_buffered_events),
        replayer_(analysis.heap, analysis.timeline, options.parallel) {}

  EventMerger& merger() { return merger_; }
  // Waits for the heap model to have replayed every released event.
  void FinishReplay() { replayer_.Finish(); }

  // RecordSink.
  // Events are decoded straight into the merger's queues.
  std::vector<Event>& EventsOf(uint32_t thread) override {
    return merger_.EventsOf(thread);
  }
  void EventsAppended(uint32_t thread, size_t /*first*/) override {
    merger_.Appended(thread);
  }

  absl::Status OnThreadStart(const ThreadStartRecord& record) override {
    ThreadInfo& thread = Thread(record.thread);
    thread.index = record.thread_index;
    thread.os_tid = record.os_tid;
    thread.start_tick = record.tick;
    SeeTick(record.tick);
    return absl::OkStatus();
  }
  absl::Status OnThreadEnd(const ThreadEndRecord& record) override {
    ThreadInfo& thread = Thread(record.thread);
    thread.index = record.thread_index;
    thread.end_tick = record.tick;
    thread.ended = true;
    thread.name = record.name;
    SeeTick(record.tick);
    return absl::OkStatus();
  }
  absl::Status OnStackNodes(StackNodesRecord& record) override {
    HEAPTRAIL_RETURN_IF_ERROR(analysis_.stacks.Add(record));
    if (options_.on_stack_nodes) {
      options_.on_stack_nodes(record, analysis_.modules);
    }
    return absl::OkStatus();
  }
  absl::Status OnModuleLoad(ModuleLoadRecord& record) override {
    HEAPTRAIL_RETURN_IF_ERROR(analysis_.modules.Load(record));
    if (options_.on_module_load) options_.on_module_load(analysis_.modules);
    return absl::OkStatus();
  }
  absl::Status OnModuleUnload(const ModuleUnloadRecord& record) override {
    return analysis_.modules.Unload(record);
  }
  absl::Status OnRoundEnd(uint64_t tick) override {
    merger_.ReleaseBefore(tick);
    SeeTick(tick);
    return absl::OkStatus();
  }
  absl::Status OnClockSync(const ClockSyncRecord& record) override {
    analysis_.clock.AddSync(record);
    SeeTick(record.tick);
    return absl::OkStatus();
  }
  absl::Status OnRss(const RssRecord& record) override {
    analysis_.rss.push_back(record);
    SeeTick(record.tick);
    return absl::OkStatus();
  }
  absl::Status OnSnapshot(SnapshotRecord& record) override {
    merger_.AddSnapshot(
        record.tick, analysis_.snapshot_records.size(),
        record.source == format::SnapshotSource::kSignalWithLeaks);
    SeeTick(record.tick);
    analysis_.snapshot_records.push_back(std::move(record));
    return absl::OkStatus();
  }
  absl::Status OnProcessInfo(ProcessInfoRecord& record) override {
    analysis_.process = std::move(record);
    return absl::OkStatus();
  }
  absl::Status OnLeakKinds(LeakKindsRecord& record) override {
    SeeTick(record.tick);
    analysis_.leak_kinds.push_back(std::move(record));
    return absl::OkStatus();
  }
  absl::Status OnPythonInterpreter(
      const PythonInterpreterRecord& record) override {
    return analysis_.python.SetInterpreter(record);
  }
  absl::Status OnPythonCode(PythonCodeRecord& record) override {
    return analysis_.python.Add(record);
  }
  absl::Status OnEnd(uint64_t tick) override {
    merger_.ReleaseAll();
    analysis_.ended = true;
    end_tick_ = std::max(end_tick_, tick);
    return absl::OkStatus();
  }

  // EventSink.
  void OnOrderedEvents(std::vector<Event>& events) override {
    replayer_.Add(events);
  }

  // After FinishReplay().
  uint64_t EndTick() const {
    return analysis_.ended
               ? end_tick_
               : std::max(max_tick_, analysis_.heap.totals().last_tick);
  }

 private:
  ThreadInfo& Thread(uint32_t slot) {
    if (slot >= analysis_.threads.size()) analysis_.threads.resize(slot + 1);
    return analysis_.threads[slot];
  }
  void SeeTick(uint64_t tick) { max_tick_ = std::max(max_tick_, tick); }

  TraceAnalysis& analysis_;
  const AnalyzeOptions& options_;
  EventMerger merger_;
  HeapReplayer replayer_;
  uint64_t max_tick_ = 0;
  uint64_t end_tick_ = 0;
};

// Warns of Python frames the trace cannot name: a trace cut before their
// code objects' records, or a recorder that never wrote them.
void CheckPythonFrames(TraceAnalysis& analysis) {
  uint64_t frames = 0, unnamed = 0;
  for (uint32_t id = 1; id < analysis.stacks.size(); ++id) {
    const uint64_t ip = analysis.stacks.node(id).ip;
    if (!format::IsPythonFrameIp(ip)) continue;
    ++frames;
    unnamed += analysis.python.Find(format::PythonCodeIdOf(ip)) == nullptr;
  }
  if (frames != 0 && analysis.python.interpreter() == nullptr) {
    analysis.warnings.push_back(
        "the trace has Python frames but no Python interpreter record: the "
        "interpreter's own frames are shown as sites");
  }
  if (unnamed != 0) {
    analysis.warnings.push_back(absl::StrFormat(
        "%d of %d Python frames name code objects the trace does not hold "
        "(shown as \"<python code N>\")",
        unnamed, frames));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TraceAnalysis>> AnalyzeTrace(
    const std::string& path, const AnalyzeOptions& options) {
  HEAPTRAIL_ASSIGN_OR_RETURN(std::unique_ptr<TraceReader> opened,
                             TraceReader::Open(path));
  auto analysis = std::make_unique<TraceAnalysis>(opened->header());
  analysis->path = path;
  Loader loader(*analysis, options);
  RecordDecoder decoder(opened->header().version);
  ChunkPrefetcher chunks(std::move(opened), options.parallel);
  while (true) {
    HEAPTRAIL_ASSIGN_OR_RETURN(const bool more, chunks.Next());
    if (!more) break;
    absl::Status status = decoder.DecodeChunk(chunks.chunk(), loader);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat(path, ": chunk ",
                                                      chunks.chunk_sequence(),
                                                      ": ", status.message()));
    }
    if (options.progress)
      options.progress(chunks.offset(), chunks.file_size());
  }
  loader.merger().ReleaseAll();
  loader.FinishReplay();
  analysis->heap.ClassifyLeaks(analysis->leak_kinds);
  analysis->leak_kinds = {};  // their memory: one entry per block
  analysis->chunks = chunks.reader().chunks_read();
  analysis->truncated = chunks.reader().truncated();
  analysis->end_tick = loader.EndTick();
  for (uint32_t slot = 0; slot < decoder.thread_count(); ++slot) {
    if (slot >= analysis->threads.size()) analysis->threads.resize(slot + 1);
    analysis->threads[slot].index = decoder.thread_index(slot);
  }
  if (chunks.reader().truncated()) {
    analysis->warnings.push_back(chunks.reader().warning());
  } else if (!analysis->ended) {
    analysis->warnings.push_back(
        "trace has no end record (the program was probably killed, or is "
        "still running): the report covers what was written");
  }
  CheckPythonFrames(*analysis);
  if (loader.merger().overflowed()) {
    analysis->warnings.push_back(
        "the trace's rounds were too large to order exactly: cross-thread "
        "order may be approximate");
  }
  return analysis;
}

}  // namespace heaptrail::analyzer
