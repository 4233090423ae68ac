// Times each stage of the analyzer's event pipeline on one trace, one stage
// at a time on one thread, so that a change to one stage is measured without
// the noise of the others (the report runs them overlapped on several
// threads; see docs/performance.md):
//   read     read and decompress every chunk (TraceReader)
//   decode   decode the chunks' records into per-thread events
//   merge    order the events (EventMerger), round by round as decoded
//   replay   apply the ordered events to a HeapModel and HeapTimeline
// Each stage's input is prepared in memory first; the median of --repeat
// runs is printed, in ms and ns per event.
//
// Usage: analyzer_stages TRACE [--repeat N]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "replay/event_merger.h"
#include "replay/heap_model.h"
#include "replay/heap_timeline.h"
#include "trace/record_decoder.h"
#include "trace/trace_reader.h"

namespace heaptrail::analyzer {
namespace {

// The decoded input of the merge: each record's events, and round ends, in
// file order.
struct DecodedStep {
  uint32_t thread = 0;
  std::vector<Event> events;  // empty: a round end at `round_end`
  uint64_t round_end = 0;
};

class StepRecorder : public RecordSink {
 public:
  explicit StepRecorder(std::vector<DecodedStep>* steps) : steps_(steps) {}
  void OnEvents(std::span<const Event> events) override {
    if (steps_ == nullptr) return;
    steps_->push_back({events.front().thread, {events.begin(), events.end()}});
  }
  absl::Status OnRoundEnd(uint64_t tick) override {
    if (steps_ != nullptr) steps_->push_back({0, {}, tick});
    return absl::OkStatus();
  }

 private:
  std::vector<DecodedStep>* steps_;
};

class OrderedEvents : public EventSink {
 public:
  explicit OrderedEvents(std::vector<Event>* all) : all_(all) {}
  void OnOrderedEvents(std::vector<Event>& events) override {
    if (all_ != nullptr) all_->insert(all_->end(), events.begin(), events.end());
  }

 private:
  std::vector<Event>* all_;
};

double MedianMs(int repeat, const std::function<void()>& stage) {
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    stage();
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int Run(const std::string& path, int repeat) {
  std::vector<std::vector<uint8_t>> chunks;
  uint32_t version = 0;
  auto read_all = [&](bool keep) {
    auto reader = TraceReader::Open(path);
    if (!reader.ok()) {
      std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
      std::exit(1);
    }
    version = (*reader)->header().version;
    while (true) {
      absl::StatusOr<bool> more = (*reader)->Next();
      if (!more.ok()) {
        std::fprintf(stderr, "%s\n", more.status().ToString().c_str());
        std::exit(1);
      }
      if (!*more) break;
      if (keep) {
        const auto chunk = (*reader)->chunk();
        chunks.emplace_back(chunk.begin(), chunk.end());
      }
    }
  };
  read_all(true);
  const double read_ms = MedianMs(repeat, [&] { read_all(false); });

  auto decode_all = [&](std::vector<DecodedStep>* steps) {
    RecordDecoder decoder(version);
    StepRecorder sink(steps);
    for (const auto& chunk : chunks) {
      absl::Status status = decoder.DecodeChunk(chunk, sink);
      if (!status.ok()) {
        std::fprintf(stderr, "%s\n", status.ToString().c_str());
        std::exit(1);
      }
    }
  };
  std::vector<DecodedStep> steps;
  decode_all(&steps);
  const double decode_ms = MedianMs(repeat, [&] { decode_all(nullptr); });

  auto merge_all = [&](std::vector<Event>* ordered) {
    OrderedEvents sink(ordered);
    EventMerger merger(&sink);
    for (const DecodedStep& step : steps) {
      if (step.events.empty()) {
        merger.ReleaseBefore(step.round_end);
      } else {  // as the decoder appends a record's events
        std::vector<Event>& queue = merger.EventsOf(step.thread);
        queue.insert(queue.end(), step.events.begin(), step.events.end());
        merger.Appended(step.thread);
      }
    }
    merger.ReleaseAll();
  };
  std::vector<Event> ordered;
  merge_all(&ordered);
  const double merge_ms = MedianMs(repeat, [&] { merge_all(nullptr); });

  uint64_t peak = 0;
  const double replay_ms = MedianMs(repeat, [&] {
    auto model = std::make_unique<HeapModel>();
    HeapTimeline timeline;
    model->Replay(ordered, timeline);
    peak = model->totals().peak_bytes;
  });

  const double events = static_cast<double>(ordered.size());
  std::printf("%zu events, %zu chunks, peak %llu B; medians of %d:\n",
              ordered.size(), chunks.size(),
              static_cast<unsigned long long>(peak), repeat);
  const std::pair<const char*, double> stages[] = {
      {"read", read_ms},
      {"decode", decode_ms},
      {"merge", merge_ms},
      {"replay", replay_ms}};
  for (const auto& [name, ms] : stages) {
    std::printf("  %-7s %8.1f ms %6.2f ns/event\n", name, ms,
                ms * 1e6 / events);
  }
  return 0;
}

}  // namespace
}  // namespace heaptrail::analyzer

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: analyzer_stages TRACE [--repeat N]\n");
    return argc < 2 ? 2 : 0;
  }
  int repeat = 5;
  if (argc == 4 && std::strcmp(argv[2], "--repeat") == 0) {
    repeat = std::max(1, std::atoi(argv[3]));
  }
  return heaptrail::analyzer::Run(argv[1], repeat);
}
