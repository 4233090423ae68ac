// EventMerger: the release rule of the "Ordering" paragraph, per-thread
// order, and the adversarial cross-thread cases the format allows.

#include "replay/event_merger.h"

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

class LogSink : public EventSink {
 public:
  void OnOrderedEvents(std::vector<Event>& events) override {
    for (const Event& e : events) OnOrderedEvent(e);
  }
  void OnOrderedEvent(const Event& e) {
    switch (e.type) {
      case EventType::kAlloc:
        log.push_back(
            absl::StrCat("t", e.thread, " alloc ", e.address, " @", e.tick));
        break;
      case EventType::kFree:
        log.push_back(
            absl::StrCat("t", e.thread, " free ", e.address, " @", e.tick));
        break;
      case EventType::kReallocFailed:
        log.push_back(absl::StrCat("t", e.thread, " realloc-failed ", e.address,
                                   " @", e.tick));
        break;
      case EventType::kSnapshot:
        log.push_back(absl::StrCat("snapshot ", e.size, " @", e.tick));
        break;
    }
  }
  std::vector<std::string> log;
};

Event Alloc(uint32_t thread, uint64_t tick, uint64_t address) {
  return Event{.tick = tick,
               .address = address,
               .size = 8,
               .type = EventType::kAlloc,
               .thread = thread};
}
Event Free(uint32_t thread, uint64_t tick, uint64_t address) {
  return Event{.tick = tick,
               .address = address,
               .type = EventType::kFree,
               .thread = thread};
}

TEST(EventMergerTest, ReleasesOnlyEventsBeforeTheWatermarkInTickOrder) {
  LogSink sink;
  EventMerger merger(&sink);
  merger.Add(Alloc(0, 10, 1));
  merger.Add(Alloc(0, 30, 2));
  merger.Add(Alloc(1, 5, 3));
  merger.Add(Alloc(1, 20, 4));
  merger.ReleaseBefore(20);
  merger.Flush();
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"t1 alloc 3 @5", "t0 alloc 1 @10"}));
  EXPECT_EQ(merger.buffered(), 2u);
  merger.ReleaseAll();
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"t1 alloc 3 @5", "t0 alloc 1 @10",
                                      "t1 alloc 4 @20", "t0 alloc 2 @30"}));
  EXPECT_EQ(merger.buffered(), 0u);
}

// Thread 0 frees p at tick 10; thread 1's malloc returns p at tick 12. The
// writer drained thread 1 after the malloc but thread 0 before the free was
// published: the malloc arrives in round 1, the free only in round 2. Round
// 1's watermark (read before its drain) is below both ticks, so the malloc
// waits in the buffer and the two come out in their true order.
TEST(EventMergerTest, CrossThreadFreeThenMallocInDifferentRoundsStayOrdered) {
  LogSink sink;
  EventMerger merger(&sink);
  merger.Add(Alloc(0, 1, 0x100));  // round 0
  merger.ReleaseBefore(5);
  merger.Flush();
  // Round 1 (watermark 8): thread 1's malloc of p, thread 0's free missing.
  merger.Add(Alloc(1, 12, 0x100));
  merger.ReleaseBefore(8);
  merger.Flush();
  EXPECT_EQ(sink.log, (std::vector<std::string>{"t0 alloc 256 @1"}));
  // Round 2 (watermark 20): the late free.
  merger.Add(Free(0, 10, 0x100));
  merger.ReleaseBefore(20);
  merger.Flush();
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"t0 alloc 256 @1", "t0 free 256 @10",
                                      "t1 alloc 256 @12"}));
}

TEST(EventMergerTest, ReleaseSortsBeforeAllocationAtTheSameTick) {
  LogSink sink;
  EventMerger merger(&sink);
  merger.Add(Alloc(1, 10, 0x100));  // arrives first
  merger.Add(Free(0, 10, 0x100));
  merger.ReleaseAll();
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"t0 free 256 @10", "t1 alloc 256 @10"}));
}

TEST(EventMergerTest, AllocThenFreeAtTheSameTickOnOneThreadKeepTheirOrder) {
  LogSink sink;
  EventMerger merger(&sink);
  merger.Add(Alloc(0, 10, 0x100));
  merger.Add(Free(0, 10, 0x100));
  merger.Add(Alloc(1, 10, 0x200));
  merger.Add(Free(1, 10, 0x300));
  merger.ReleaseAll();
  // Thread 0's alloc inherits the release rank of its free; thread 1's too.
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"t0 alloc 256 @10", "t0 free 256 @10",
                                      "t1 alloc 512 @10", "t1 free 768 @10"}));
}

TEST(EventMergerTest, TicksGoingBackwardsOnAThreadAreClamped) {
  LogSink sink;
  EventMerger merger(&sink);
  merger.Add(Alloc(0, 50, 1));
  merger.Add(Alloc(0, 40, 2));  // corrupt or wrapped: clamped to 50
  merger.Add(Alloc(1, 45, 3));
  merger.ReleaseBefore(50);
  merger.Flush();
  EXPECT_EQ(sink.log, (std::vector<std::string>{"t1 alloc 3 @45"}));
  merger.ReleaseAll();
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"t1 alloc 3 @45", "t0 alloc 1 @50",
                                      "t0 alloc 2 @50"}));
}

TEST(EventMergerTest, PerThreadOrderIsKeptUnderAnyInterleaving) {
  LogSink sink;
  EventMerger merger(&sink);
  // Three threads with interleaved ticks, several rounds.
  uint64_t tick = 0;
  for (int round = 0; round < 5; ++round) {
    for (uint32_t t = 0; t < 3; ++t) {
      for (int i = 0; i < 4; ++i) {
        merger.Add(Alloc(t, tick + 3 * i + t, round * 100 + t * 10 + i));
      }
    }
    tick += 12;
    merger.ReleaseBefore(tick - 6);
    merger.Flush();
  }
  merger.ReleaseAll();
  ASSERT_EQ(sink.log.size(), 60u);
  // Every thread's addresses come out increasing (their issue order).
  std::vector<int> last(3, -1);
  for (const std::string& line : sink.log) {
    const int thread = line[1] - '0';
    const int address = std::stoi(line.substr(line.find("alloc ") + 6));
    EXPECT_GT(address, last[thread]) << line;
    last[thread] = address;
  }
}

TEST(EventMergerTest, SnapshotsAreReplayedAtTheirTickAfterEventsOfThatTick) {
  LogSink sink;
  EventMerger merger(&sink);
  merger.Add(Alloc(0, 10, 1));
  merger.AddSnapshot(10, 0, false);
  merger.Add(Alloc(1, 10, 2));
  merger.Add(Alloc(1, 11, 3));
  merger.AddSnapshot(12, 1, false);
  merger.ReleaseBefore(12);
  merger.Flush();
  merger.ReleaseAll();
  EXPECT_EQ(sink.log, (std::vector<std::string>{
                          "t0 alloc 1 @10", "t1 alloc 2 @10", "snapshot 0 @10",
                          "t1 alloc 3 @11", "snapshot 1 @12"}));
}

TEST(EventMergerTest, LateEventIsReplayedLateNotInThePast) {
  LogSink sink;
  EventMerger merger(&sink);
  merger.Add(Alloc(0, 100, 1));
  merger.ReleaseBefore(200);
  merger.Flush();
  merger.Add(Alloc(1, 50, 2));  // arrives after tick 100 was replayed
  merger.ReleaseBefore(300);
  merger.Flush();
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"t0 alloc 1 @100", "t1 alloc 2 @100"}));
}

TEST(EventMergerTest, BufferIsBoundedWithoutRoundEnds) {
  LogSink sink;
  EventMerger merger(&sink, /*max_buffered=*/4);
  for (int i = 0; i < 10; ++i) merger.Add(Alloc(i % 2, i, i));
  EXPECT_TRUE(merger.overflowed());
  EXPECT_LE(merger.buffered(), 4u);
  merger.ReleaseAll();
  EXPECT_EQ(sink.log.size(), 10u);
}

// The merge of per-thread runs gives exactly the order of the rule written
// as a sort: each round's events by (tick, rank, thread, the thread's own
// order), where an event takes the release rank of a release that follows it
// on its thread at the same tick. Random runs of 1 to `max_threads` threads,
// ticks with many ties, and rounds: one release in `release_every` events on
// average.
void ExpectMergeEqualsTheSortOfTheRule(int trials, int steps,
                                       int release_every,
                                       uint32_t max_threads) {
  std::mt19937_64 random(42);
  for (int trial = 0; trial < trials; ++trial) {
    LogSink sink;
    EventMerger merger(&sink);
    std::vector<std::string> expected;
    const uint32_t threads = 1 + random() % max_threads;
    std::vector<uint64_t> last_tick(threads, 0);
    uint64_t sequence = 0;
    uint64_t watermark = 0;
    // Buffered like the merger: (tick, rank, thread, sequence, text).
    std::vector<std::tuple<uint64_t, int, uint32_t, uint64_t, std::string>>
        pending;
    const auto release = [&](bool everything) {
      std::vector<std::tuple<uint64_t, int, uint32_t, uint64_t, std::string>>
          kept;
      std::sort(pending.begin(), pending.end());
      for (auto& item : pending) {
        if (everything || std::get<0>(item) < watermark) {
          expected.push_back(std::get<4>(item));
        } else {
          kept.push_back(item);
        }
      }
      pending = kept;
    };
    std::vector<Event> run;
    const auto add_run = [&] {
      merger.Add(run);
      run.clear();
    };
    for (int step = 0; step < steps; ++step) {
      if (random() % release_every == 0) {
        add_run();
        watermark += random() % 8;
        release(false);
        merger.ReleaseBefore(watermark);
        merger.Flush();
        continue;
      }
      const uint32_t thread = random() % threads;
      // Ticks at or after the watermark (what a real round guarantees),
      // non-decreasing per thread, often equal.
      uint64_t& tick = last_tick[thread];
      tick = std::max(tick, watermark) + random() % 3;
      const bool is_free = random() % 2 == 0;
      const uint64_t address = step;
      const Event event =
          is_free ? Free(thread, tick, address) : Alloc(thread, tick, address);
      // One event at a time, or a thread's consecutive events as one run,
      // as a decoded record adds them.
      if (!run.empty() && run.back().thread != thread) add_run();
      run.push_back(event);
      if (random() % 2 == 0) add_run();
      const int rank = is_free ? 0 : 1;
      if (is_free) {
        for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
          if (std::get<2>(*it) != thread) continue;
          if (std::get<0>(*it) != tick || std::get<1>(*it) == 0) break;
          std::get<1>(*it) = 0;
        }
      }
      pending.emplace_back(
          tick, rank, thread, sequence++,
          absl::StrCat("t", thread, is_free ? " free " : " alloc ", address,
                       " @", tick));
    }
    add_run();
    release(true);
    merger.ReleaseAll();
    ASSERT_EQ(sink.log, expected) << "trial " << trial;
  }
}

// Up to 8 runs merge two at a time.
TEST(EventMergerTest, MergeEqualsTheSortOfTheRule) {
  ExpectMergeEqualsTheSortOfTheRule(/*trials=*/50, /*steps=*/400,
                                    /*release_every=*/40, /*max_threads=*/8);
}

// More go through the loser tree.
TEST(EventMergerTest, ManyThreadsMergeEqualsTheSortOfTheRule) {
  ExpectMergeEqualsTheSortOfTheRule(/*trials=*/30, /*steps=*/1000,
                                    /*release_every=*/100,
                                    /*max_threads=*/24);
}

// Rounds of thousands of events: merges that span several output batches.
TEST(EventMergerTest, LongRoundsMergeEqualsTheSortOfTheRule) {
  ExpectMergeEqualsTheSortOfTheRule(/*trials=*/12, /*steps=*/40000,
                                    /*release_every=*/8000,
                                    /*max_threads=*/8);
}

}  // namespace
}  // namespace heaptrail::analyzer
