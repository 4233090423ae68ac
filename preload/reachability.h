// Classifies heap blocks by reachability, with memcheck's semantics.
//
// Every aligned word of the roots (and of every block reached from them) that
// points into a block marks it: a pointer to its start makes it reachable
// from a reachable block, an interior pointer only possibly lost, and a block
// found only from a possibly lost one is possibly lost too. memcheck's four
// heuristics (on by default since valgrind 3.11) count some interior pointers
// as start pointers: a std::string's characters behind its length, capacity
// and refcount (stdstring), a block behind its own 64-bit length (length64,
// sqlite), an array behind its element count (newarray, new[] with
// destructors) and an object's second vtable pointer (multipleinheritance).
// What no root reaches is then grouped as memcheck groups it: blocks are taken
// in address order, and every unreached block a still-unclassified one
// points into (start or interior) is indirectly lost; the rest are
// definitely lost. So of a lost cycle the lowest block is definitely lost and
// the others indirectly.
//
// Memory is read directly: the caller makes sure the roots and the blocks
// are mapped, or catches the faults (leak_scan.h).
//
// Thread-safety: one scan at a time, on one thread.

#ifndef HEAPTRAIL_PRELOAD_REACHABILITY_H_
#define HEAPTRAIL_PRELOAD_REACHABILITY_H_

#include <cstddef>
#include <cstdint>

#include "heaptrail/trace_format.h"
#include "safe_read.h"

namespace heaptrail::preload {

// A mapping of the process, as /proc/self/maps lists it.
struct Mapping {
  uint64_t begin;
  uint64_t end;
  bool readable;
  bool writable;
  bool executable;
  bool file;  // backed by a file
};

struct ScanBlock {
  uint64_t address;
  uint64_t size;
  format::LeakKind kind;  // the result
  format::LeakHeuristic heuristic;
  bool pending;  // on the mark stack
};

class Reachability {
 public:
  // `blocks` sorted by address, not overlapping; `mark_stack` has room for
  // one index per block. `mappings` (sorted, may be empty) serve the
  // multipleinheritance heuristic's test for a vtable. `blocks_stable`:
  // no other thread runs, so the blocks' memory is read in place, not
  // through SafeCopy (a third of the scan's time).
  Reachability(ScanBlock* blocks, size_t count, uint32_t* mark_stack,
               const Mapping* mappings, size_t mapping_count, bool blocks_stable);

  // Scans [begin, end) as a root.
  void ScanRoot(uint64_t begin, uint64_t end);
  // Scans the blocks the roots reached, then groups the unreached ones.
  void Finish();

  // The block that contains `address` (or starts at it, when empty), or -1.
  ptrdiff_t BlockOf(uint64_t address) const;

 private:
  void MarkFromRoot(uint64_t value, bool prior_definite);
  void MarkInClique(uint64_t value, size_t leader);
  format::LeakHeuristic HeuristicFor(uint64_t pointer, const ScanBlock& block) const;
  bool IsVtable(uint64_t address) const;
  const Mapping* MappingOf(uint64_t address) const;
  void Push(size_t index);
  // Scans every block on the mark stack; `leader` is the clique's, or -1.
  void ProcessMarkStack(ptrdiff_t leader);
  // The aligned words of a block's [begin, end).
  template <typename Visit>
  void ForEachBlockWord(uint64_t begin, uint64_t end, Visit&& visit) {
    if (!blocks_stable_) return ForEachWord(begin, end, visit);
    const auto* word = reinterpret_cast<const uint64_t*>((begin + 7) & ~uint64_t{7});
    const auto* last = reinterpret_cast<const uint64_t*>(end & ~uint64_t{7});
    for (; word < last; ++word) visit(*word);
  }

  ScanBlock* blocks_;
  size_t count_;
  uint32_t* mark_stack_;
  size_t mark_top_ = 0;
  const Mapping* mappings_;
  size_t mapping_count_;
  bool blocks_stable_;
  uint64_t lowest_ = 0;   // the blocks' span, for a quick rejection
  uint64_t highest_ = 0;
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_REACHABILITY_H_
