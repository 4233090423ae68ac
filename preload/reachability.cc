// Reachability: memcheck's marking and grouping (see reachability.h).

#include "reachability.h"

#include "safe_read.h"

namespace heaptrail::preload {
namespace {

using format::LeakHeuristic;
using format::LeakKind;

constexpr uint64_t kWord = sizeof(uint64_t);
constexpr uint64_t kPageSize = 4096;
constexpr int kVtableWordsChecked = 20;

}  // namespace

Reachability::Reachability(ScanBlock* blocks, size_t count, uint32_t* mark_stack,
                           const Mapping* mappings, size_t mapping_count, bool blocks_stable)
    : blocks_(blocks),
      count_(count),
      mark_stack_(mark_stack),
      mappings_(mappings),
      mapping_count_(mapping_count),
      blocks_stable_(blocks_stable) {
  for (size_t i = 0; i < count; ++i) {
    blocks[i].kind = LeakKind::kDefinite;  // unreached, until found
    blocks[i].heuristic = LeakHeuristic::kNone;
    blocks[i].pending = false;
  }
  if (count != 0) {
    lowest_ = blocks[0].address;
    const ScanBlock& last = blocks[count - 1];
    highest_ = last.address + (last.size == 0 ? 1 : last.size);
  }
}

ptrdiff_t Reachability::BlockOf(uint64_t address) const {
  if (address < lowest_ || address >= highest_) return -1;
  // The last block starting at or below `address`.
  size_t low = 0, high = count_;
  while (high - low > 1) {
    size_t middle = low + (high - low) / 2;
    if (blocks_[middle].address <= address) {
      low = middle;
    } else {
      high = middle;
    }
  }
  const ScanBlock& block = blocks_[low];
  // An empty block is found by a pointer to its start, as in memcheck.
  uint64_t size = block.size == 0 ? 1 : block.size;
  return address - block.address < size ? static_cast<ptrdiff_t>(low) : -1;
}

void Reachability::Push(size_t index) {
  if (blocks_[index].pending) return;
  blocks_[index].pending = true;
  mark_stack_[mark_top_++] = static_cast<uint32_t>(index);
}

void Reachability::MarkFromRoot(uint64_t value, bool prior_definite) {
  ptrdiff_t index = BlockOf(value);
  if (index < 0) return;
  ScanBlock& block = blocks_[index];
  if (block.kind == LeakKind::kReachable) {
    if (value == block.address) block.heuristic = LeakHeuristic::kNone;
    return;
  }
  bool as_start = value == block.address;
  if (!as_start) {
    block.heuristic = HeuristicFor(value, block);
    as_start = block.heuristic != LeakHeuristic::kNone;
  }
  if (as_start && prior_definite) {
    block.kind = LeakKind::kReachable;
    Push(index);
  } else if (block.kind == LeakKind::kDefinite) {
    block.kind = LeakKind::kPossible;
    Push(index);
  }
}

void Reachability::MarkInClique(uint64_t value, size_t leader) {
  ptrdiff_t index = BlockOf(value);
  if (index < 0 || static_cast<size_t>(index) == leader) return;
  ScanBlock& block = blocks_[index];
  if (block.kind != LeakKind::kDefinite) return;
  block.kind = LeakKind::kIndirect;
  Push(index);
}

void Reachability::ScanRoot(uint64_t begin, uint64_t end) {
  ForEachWord(begin, end, [&](uint64_t value) { MarkFromRoot(value, true); });
}

void Reachability::ProcessMarkStack(ptrdiff_t leader) {
  while (mark_top_ != 0) {
    size_t index = mark_stack_[--mark_top_];
    ScanBlock& block = blocks_[index];
    block.pending = false;
    uint64_t begin = block.address, end = block.address + block.size;
    if (leader < 0) {
      bool prior_definite = block.kind != LeakKind::kPossible;
      ForEachBlockWord(begin, end, [&](uint64_t value) { MarkFromRoot(value, prior_definite); });
    } else {
      size_t clique = static_cast<size_t>(leader);
      ForEachBlockWord(begin, end, [&](uint64_t value) { MarkInClique(value, clique); });
    }
  }
}

void Reachability::Finish() {
  ProcessMarkStack(-1);
  for (size_t i = 0; i < count_; ++i) {
    if (blocks_[i].kind != LeakKind::kDefinite) continue;
    Push(i);
    ProcessMarkStack(static_cast<ptrdiff_t>(i));
  }
}

LeakHeuristic Reachability::HeuristicFor(uint64_t pointer, const ScanBlock& block) const {
  uint64_t start = block.address, size = block.size;
  uint64_t first = 0, second = 0;
  bool has_first = size >= kWord && ReadWord(start, &first);
  // stdstring: length, capacity, refcount, then the characters and their
  // terminator.
  if (pointer == start + 3 * kWord && size >= 2 * kWord && ReadWord(start + kWord, &second) &&
      3 * kWord + second + 1 == size && has_first && first <= second) {
    return LeakHeuristic::kStdString;
  }
  if (pointer == start + kWord && has_first) {
    // length64: the block's own length in front of the rest (sqlite).
    if (first > 0 && size - kWord == first) return LeakHeuristic::kLength64;
    // newarray: a plausible element count in front of the elements.
    if (first > 0 && (size - kWord) % first == 0) return LeakHeuristic::kNewArray;
  }
  // multipleinheritance: a second vtable pointer inside an object that
  // starts with one.
  uint64_t inner;
  if (pointer % kWord == 0 && pointer + kWord <= start + size && has_first &&
      ReadWord(pointer, &inner) && inner % kWord == 0 && inner >= kPageSize &&
      first % kWord == 0 && first >= kPageSize && IsVtable(inner) && IsVtable(first)) {
    return LeakHeuristic::kMultipleInheritance;
  }
  return LeakHeuristic::kNone;
}

const Mapping* Reachability::MappingOf(uint64_t address) const {
  size_t low = 0, high = mapping_count_;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (mappings_[middle].end <= address) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low == mapping_count_ || mappings_[low].begin > address) return nullptr;
  return &mappings_[low];
}

// As memcheck has it: a table in a readable file mapping whose first non-null
// words (at least two, among 20) all point into executable file mappings.
bool Reachability::IsVtable(uint64_t address) const {
  const Mapping* table = MappingOf(address);
  if (table == nullptr || !table->file || !table->readable) return false;
  int functions = 0;
  for (int i = 0; i < kVtableWordsChecked; ++i) {
    uint64_t slot = address + i * kWord;
    uint64_t target;
    if (slot + kWord > table->end || !ReadWord(slot, &target)) return false;
    if (target == 0) continue;
    const Mapping* code = MappingOf(target);
    if (code == nullptr || !code->file || !code->executable) return false;
    if (++functions == 2) return true;
  }
  return false;
}

}  // namespace heaptrail::preload
