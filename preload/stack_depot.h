// In-process interning of call stacks as a tree (after LLVM's StackDepot).
//
// A node is (parent, ip, epoch); node 0 is the empty stack. Every distinct
// stack prefix is stored once, gets a dense 32-bit id, and is written to the
// trace once (by the writer, which walks ids in order). An event carries the
// id of its innermost node.
//
// Thread-safety: Intern() may run concurrently on any threads. Lookups take no
// lock; an insert locks one bucket with a bit in its head. The writer reads
// nodes concurrently: a node is complete once its ip is non-zero (ips of real
// frames never are).

#ifndef HEAPTRAIL_PRELOAD_STACK_DEPOT_H_
#define HEAPTRAIL_PRELOAD_STACK_DEPOT_H_

#include <atomic>
#include <cstdint>

namespace heaptrail::preload {

struct StackNode {
  uint32_t parent;
  uint32_t epoch;
  uint32_t next_in_bucket;        // 0 ends the chain (node 0 is never chained)
  uint32_t unused;
  std::atomic<uint64_t> ip;       // published last, with release
};
static_assert(sizeof(StackNode) == 24);

class StackDepot {
 public:
  constexpr StackDepot() = default;

  // Reserves the tables (virtual memory, touched lazily). False when out of
  // address space.
  bool Init();

  // The id of the child of `parent` for `ip` in `epoch`, inserted if new.
  // Returns `parent` when the depot is full (the stack is then truncated).
  uint32_t Intern(uint32_t parent, uint64_t ip, uint32_t epoch);

  // In a forked child: releases the bucket locks and completes the nodes of
  // inserts that other threads were in the middle of (they did not survive
  // the fork), so that inserts and the writer's node dump never wait on them.
  void RepairAfterFork();

  // Ids below this have been handed out (not necessarily complete yet).
  uint32_t allocated() const { return next_id_.load(std::memory_order_acquire); }

  // The node with id `id` < allocated().
  const StackNode& node(uint32_t id) const { return nodes_[id]; }

 private:
  static constexpr uint32_t kBucketCount = 1u << 19;
  static constexpr uint32_t kMaxNodes = 1u << 26;
  static constexpr uint32_t kLockBit = 1u << 31;

  StackNode* nodes_ = nullptr;
  std::atomic<uint32_t>* buckets_ = nullptr;
  std::atomic<uint32_t> next_id_{1};  // 0 is the root
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_STACK_DEPOT_H_
