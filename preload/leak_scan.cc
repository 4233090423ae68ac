// The roots of the reachability scan, and its record (see leak_scan.h).

#include "leak_scan.h"

#include <link.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "private_heap.h"
#include "proc_files.h"
#include "reachability.h"
#include "safe_read.h"
#include "tracker.h"

namespace heaptrail::preload {
namespace {

constexpr uint64_t kPage = 4096;
// glibc's heaps of arenas other than the main one are aligned to their
// maximum size (2 x DEFAULT_MMAP_THRESHOLD_MAX on 64-bit) and start with a
// heap_info whose fourth word is the size made readable and writable.
constexpr uint64_t kArenaHeapAlignment = uint64_t{64} << 20;
constexpr uint64_t kHeapInfoProtectedSizeOffset = 24;
// glibc's struct malloc_state (2.26 and later): `top` is its 13th word, and
// the whole is 0x898 bytes.
constexpr uint64_t kArenaTopOffset = 0x60;
constexpr uint64_t kArenaSize = 0x898;
constexpr size_t kMaxExclusions = 16384;

// Scratch arrays on pages of their own, freed at the end of the scan.
template <typename T>
struct PageArray {
  T* data = nullptr;
  size_t bytes = 0;
  explicit PageArray(size_t count) : bytes(count * sizeof(T)) {
    if (bytes == 0) bytes = sizeof(T);
    data = static_cast<T*>(AllocatePages(bytes));
  }
  ~PageArray() { FreePages(data, bytes); }
  PageArray(const PageArray&) = delete;
  PageArray& operator=(const PageArray&) = delete;
};

struct MapsEntry {
  Mapping mapping;
  std::string_view path;
};

// One line of /proc/self/maps: "begin-end perms offset dev inode   path".
bool ParseMapsLine(std::string_view line, MapsEntry* entry) {
  auto hex = [&](size_t& i, uint64_t& value) {
    size_t start = i;
    value = 0;
    for (; i < line.size(); ++i) {
      char c = line[i];
      int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (digit < 0) break;
      value = value << 4 | uint64_t(digit);
    }
    return i > start;
  };
  size_t i = 0;
  uint64_t begin, end, ignored, inode;
  if (!hex(i, begin) || i >= line.size() || line[i++] != '-' || !hex(i, end)) return false;
  if (i + 5 > line.size()) return false;
  std::string_view perms = line.substr(i + 1, 4);
  i += 6;
  if (!hex(i, ignored)) return false;  // offset
  while (i < line.size() && line[i] == ' ') ++i;
  while (i < line.size() && line[i] != ' ') ++i;  // device
  while (i < line.size() && line[i] == ' ') ++i;
  inode = 0;
  for (; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) inode = inode * 10 + (line[i] - '0');
  while (i < line.size() && line[i] == ' ') ++i;
  entry->mapping = Mapping{begin, end, perms[0] == 'r', perms[1] == 'w', perms[2] == 'x', inode != 0};
  entry->path = line.substr(i);
  return true;
}

// The tracker's own writable segments (its data, bss and thread-local
// templates): they hold block addresses too.
int AddOwnSegments(dl_phdr_info* info, size_t, void* context) {
  auto* exclusions = static_cast<std::pair<PageRange*, size_t*>*>(context);
  auto self = reinterpret_cast<uint64_t>(&AddOwnSegments);
  bool ours = false;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    uint64_t begin = info->dlpi_addr + segment.p_vaddr;
    if (segment.p_type == PT_LOAD && self >= begin && self < begin + segment.p_memsz) ours = true;
  }
  if (!ours) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD || (segment.p_flags & PF_W) == 0) continue;
    uint64_t begin = (info->dlpi_addr + segment.p_vaddr) & ~(kPage - 1);
    uint64_t end = (info->dlpi_addr + segment.p_vaddr + segment.p_memsz + kPage - 1) & ~(kPage - 1);
    if (*exclusions->second < kMaxExclusions) {
      exclusions->first[(*exclusions->second)++] = PageRange{begin, end};
    }
  }
  return 1;
}

// The stack mappings of exited threads, unless a running thread has one of
// them now (glibc gives a new thread a cached stack).
void AddExitedThreadStacks(const Mapping* mappings, size_t mapping_count, PageRange* exclusions,
                           size_t* count) {
  auto mapping_of = [&](uint64_t address) -> const Mapping* {
    const Mapping* end = mappings + mapping_count;
    const Mapping* m = std::upper_bound(
        mappings, end, address, [](uint64_t a, const Mapping& next) { return a < next.end; });
    return m != end && m->begin <= address ? m : nullptr;
  };
  for (const ThreadState* s = tracker.threads.first(); s != nullptr; s = s->next) {
    if (s->stack_address == 0 ||
        s->status.load(std::memory_order_acquire) == ThreadStatus::kActive) {
      continue;
    }
    const Mapping* stack = mapping_of(s->stack_address);
    if (stack == nullptr || stack->file) continue;
    bool reused = false;
    for (const ThreadState* t = tracker.threads.first(); t != nullptr; t = t->next) {
      reused |= t->status.load(std::memory_order_acquire) == ThreadStatus::kActive &&
                t->stack_address >= stack->begin && t->stack_address < stack->end;
    }
    if (!reused && *count < kMaxExclusions) {
      exclusions[(*count)++] = PageRange{stack->begin, stack->end};
    }
  }
}

class RootScan {
 public:
  RootScan(Reachability& reachability, const ScanBlock* blocks, size_t block_count)
      : reachability_(reachability), blocks_(blocks), block_count_(block_count) {}

  // Scans [begin, end) less the exclusions (sorted by begin) and the blocks.
  void Scan(uint64_t begin, uint64_t end, const PageRange* exclusions, size_t exclusion_count) {
    size_t x = 0;
    size_t k = std::lower_bound(blocks_, blocks_ + block_count_, begin,
                                [](const ScanBlock& block, uint64_t address) {
                                  return block.address + block.size <= address;
                                }) -
               blocks_;
    for (uint64_t p = begin; p < end;) {
      while (x < exclusion_count && exclusions[x].end <= p) ++x;
      while (k < block_count_ && blocks_[k].address + blocks_[k].size <= p &&
             !(blocks_[k].size == 0 && blocks_[k].address == p)) {
        ++k;
      }
      uint64_t cut_begin = end, cut_end = end;
      if (x < exclusion_count && exclusions[x].begin < cut_begin) {
        cut_begin = exclusions[x].begin;
        cut_end = exclusions[x].end;
      }
      if (k < block_count_ && blocks_[k].address < cut_begin) {
        cut_begin = blocks_[k].address;
        cut_end = blocks_[k].address + blocks_[k].size;
        if (blocks_[k].size == 0) ++k;
      }
      if (cut_begin > p) reachability_.ScanRoot(p, std::min(cut_begin, end));
      p = std::max(p, std::min(cut_end, end));
      if (cut_begin >= end) break;
    }
  }

 private:
  Reachability& reachability_;
  const ScanBlock* blocks_;
  size_t block_count_;
};

// The main arena's `top` is the one word of libc's data that points at the
// chunk ending where the brk heap ends.
bool FindMainArena(const MapsEntry* entries, size_t count, const Mapping& heap, PageRange* arena) {
  for (size_t i = 0; i < count; ++i) {
    const Mapping& m = entries[i].mapping;
    if (!m.writable || !m.readable || entries[i].path.find("/libc.so") == std::string_view::npos) {
      continue;
    }
    for (uint64_t p = m.begin; p + 16 <= m.end; p += 8) {
      uint64_t top, top_size;
      if (!ReadWord(p, &top) || top < heap.begin || top >= heap.end || top % 16 != 0) continue;
      if (!ReadWord(top + 8, &top_size) || (top_size & ~uint64_t{7}) != heap.end - top) continue;
      if (p < kArenaTopOffset) continue;
      *arena = PageRange{p - kArenaTopOffset, p - kArenaTopOffset + kArenaSize};
      return true;
    }
  }
  return false;
}

void AddArenaHeaps(const Mapping& m, PageRange* exclusions, size_t* count) {
  uint64_t first = (m.begin + kArenaHeapAlignment - 1) & ~(kArenaHeapAlignment - 1);
  for (uint64_t heap = first; heap + kPage <= m.end && heap >= first; heap += kArenaHeapAlignment) {
    uint64_t arena, protected_size;
    if (!ReadWord(heap, &arena) || arena == 0) continue;
    if (!ReadWord(heap + kHeapInfoProtectedSizeOffset, &protected_size)) continue;
    if (protected_size == 0 || protected_size % kPage != 0 ||
        protected_size > kArenaHeapAlignment || heap + protected_size > m.end) {
      continue;
    }
    if (*count < kMaxExclusions) exclusions[(*count)++] = PageRange{heap, heap + protected_size};
  }
}

// /proc/self/maps, on pages that grow until it fits.
struct MapsText {
  char* data = nullptr;
  size_t capacity = 0;
  ssize_t length = -1;
  MapsText() = default;
  MapsText(const MapsText&) = delete;
  MapsText& operator=(const MapsText&) = delete;
  ~MapsText() { FreePages(data, capacity); }
};

bool ReadMapsText(MapsText& maps, bool reopen) {
  for (size_t capacity = 256 * 1024; capacity <= (size_t{64} << 20); capacity *= 4) {
    FreePages(maps.data, maps.capacity);
    maps.data = static_cast<char*>(AllocatePages(capacity));
    maps.capacity = maps.data == nullptr ? 0 : capacity;
    if (maps.data == nullptr) return false;
    maps.length = ReadMaps(maps.data, capacity, reopen);
    if (maps.length >= 0) return true;
  }
  return false;
}

bool Classify(ScanBlock* blocks, size_t block_count, const ThreadRoots& thread, bool in_copy) {
  MapsText maps;
  if (!ReadMapsText(maps, in_copy)) return false;
  std::string_view text(maps.data, size_t(maps.length));
  size_t line_count = std::count(text.begin(), text.end(), '\n') + 1;
  PageArray<MapsEntry> entries(line_count);
  PageArray<Mapping> mappings(line_count);
  PageArray<PageRange> exclusions(kMaxExclusions);
  if (entries.data == nullptr || mappings.data == nullptr || exclusions.data == nullptr) {
    return false;
  }
  size_t count = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (ParseMapsLine(text.substr(start, end - start), &entries.data[count])) {
      mappings.data[count] = entries.data[count].mapping;
      ++count;
    }
    start = end + 1;
  }

  // What is not a root.
  size_t excluded = PrivateRanges(exclusions.data, kMaxExclusions);
  std::pair<PageRange*, size_t*> own{exclusions.data, &excluded};
  dl_iterate_phdr(AddOwnSegments, &own);
  AddExitedThreadStacks(mappings.data, count, exclusions.data, &excluded);
  for (size_t i = 0; i < count && excluded < kMaxExclusions; ++i) {
    const Mapping& m = entries.data[i].mapping;
    if (!m.readable || !m.writable) continue;
    if (entries.data[i].path == "[heap]") {
      exclusions.data[excluded++] = PageRange{m.begin, m.end};
      PageRange arena;
      if (excluded < kMaxExclusions && FindMainArena(entries.data, count, m, &arena)) {
        exclusions.data[excluded++] = arena;
      }
    } else if (!m.file) {
      AddArenaHeaps(m, exclusions.data, &excluded);
    }
    if (thread.stack_top >= m.begin && thread.stack_top < m.end && excluded < kMaxExclusions) {
      exclusions.data[excluded++] = PageRange{m.begin, thread.stack_top};
    }
    for (size_t t = 0; t < thread.parked_count && excluded < kMaxExclusions; ++t) {
      uint64_t stack_pointer = thread.parked[t].stack_pointer;
      if (stack_pointer >= m.begin && stack_pointer < m.end) {
        exclusions.data[excluded++] = PageRange{m.begin, stack_pointer};
      }
    }
  }
  std::sort(exclusions.data, exclusions.data + excluded,
            [](const PageRange& a, const PageRange& b) { return a.begin < b.begin; });

  PageArray<uint32_t> mark_stack(block_count);
  if (mark_stack.data == nullptr) return false;
  Reachability reachability(blocks, block_count, mark_stack.data, mappings.data, count,
                            in_copy || CountThreads() == 1);
  RootScan roots(reachability, blocks, block_count);
  for (size_t i = 0; i < count; ++i) {
    const Mapping& m = entries.data[i].mapping;
    std::string_view path = entries.data[i].path;
    if (!m.readable || !m.writable) continue;
    // Devices may hang or have side effects when read.
    if (path.substr(0, 5) == "/dev/" && path != "/dev/zero") continue;
    roots.Scan(m.begin, m.end, exclusions.data, excluded);
  }
  reachability.ScanRoot(thread.registers_begin, thread.registers_end);
  for (size_t t = 0; t < thread.parked_count; ++t) {
    const greg_t* registers = thread.parked[t].registers;
    reachability.ScanRoot(reinterpret_cast<uint64_t>(registers),
                          reinterpret_cast<uint64_t>(registers + NGREG));
  }
  reachability.Finish();
  return true;
}

}  // namespace

void PutLeakKindsHead(ChunkBuilder& chunk, uint64_t relative_tick, uint64_t pause_ns) {
  chunk.PutRecordType(format::RecordType::kLeakKinds);
  chunk.PutVarint(relative_tick);
  chunk.PutVarint(pause_ns);
}

bool AppendLeakKindEntries(const LiveBlocks& live, const ThreadRoots& thread, bool in_copy,
                           ChunkBuilder& chunk) {
  size_t block_count = live.live_count();
  PageArray<ScanBlock> blocks(block_count);
  if (blocks.data == nullptr) return false;
  size_t filled = 0;
  live.ForEachLive([&](LiveBlock block) {
    if (filled < block_count) {
      blocks.data[filled++] = ScanBlock{block.address, block.size, {}, {}, false};
    }
  });
  block_count = filled;
  std::sort(blocks.data, blocks.data + block_count,
            [](const ScanBlock& a, const ScanBlock& b) { return a.address < b.address; });
  {
    ScopedFaultGuard guard;
    if (!Classify(blocks.data, block_count, thread, in_copy)) return false;
  }

  chunk.PutVarint(block_count);
  uint64_t previous = 0;
  for (size_t i = 0; i < block_count; ++i) {
    uint8_t* out = chunk.Reserve(kMaxVarintSize + 1);
    if (out == nullptr) return false;
    out = PutVarint(out, blocks.data[i].address - previous);
    *out++ = static_cast<uint8_t>(blocks.data[i].kind) |
             static_cast<uint8_t>(static_cast<uint8_t>(blocks.data[i].heuristic) << 2);
    chunk.Commit(out);
    previous = blocks.data[i].address;
  }
  return true;
}

}  // namespace heaptrail::preload
