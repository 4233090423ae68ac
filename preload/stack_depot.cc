// StackDepot: lock-free lookups, bucket-locked inserts.

#include "stack_depot.h"

#include <sched.h>

#include "private_heap.h"

namespace heaptrail::preload {
namespace {

uint32_t HashKey(uint32_t parent, uint64_t ip, uint32_t epoch) {
  uint64_t h = ip * 0x9E3779B97F4A7C15ull;
  h ^= (static_cast<uint64_t>(parent) << 32 | epoch) * 0xC2B2AE3D27D4EB4Full;
  h ^= h >> 29;
  return static_cast<uint32_t>(h);
}

}  // namespace

bool StackDepot::Init() {
  nodes_ = static_cast<StackNode*>(AllocatePages(sizeof(StackNode) * size_t{kMaxNodes}));
  buckets_ = static_cast<std::atomic<uint32_t>*>(
      AllocatePages(sizeof(std::atomic<uint32_t>) * size_t{kBucketCount}));
  return nodes_ != nullptr && buckets_ != nullptr;
}

void StackDepot::RepairAfterFork() {
  if (buckets_ == nullptr) return;
  for (uint32_t i = 0; i < kBucketCount; ++i) {
    uint32_t head = buckets_[i].load(std::memory_order_relaxed);
    if (head & kLockBit) buckets_[i].store(head & ~kLockBit, std::memory_order_relaxed);
  }
  uint32_t end = allocated() < kMaxNodes ? allocated() : kMaxNodes;
  for (uint32_t id = 1; id < end; ++id) {
    // Never linked into a bucket: an ip no frame has, under the root.
    if (nodes_[id].ip.load(std::memory_order_relaxed) == 0) {
      nodes_[id].parent = 0;
      nodes_[id].ip.store(1, std::memory_order_relaxed);
    }
  }
}

uint32_t StackDepot::Intern(uint32_t parent, uint64_t ip, uint32_t epoch) {
  std::atomic<uint32_t>& bucket = buckets_[HashKey(parent, ip, epoch) & (kBucketCount - 1)];
  auto find = [&](uint32_t id) -> uint32_t {
    for (; id != 0; id = nodes_[id].next_in_bucket) {
      const StackNode& n = nodes_[id];
      // Matched by the release store of `ip` and of the bucket head in the
      // insert below: a node reachable from a head is complete.
      if (n.parent == parent && n.epoch == epoch && n.ip.load(std::memory_order_relaxed) == ip) {
        return id;
      }
    }
    return 0;
  };

  uint32_t head = bucket.load(std::memory_order_acquire);
  if (uint32_t found = find(head & ~kLockBit)) return found;

  // Lock the bucket, then look again: another thread may have inserted it.
  for (;;) {
    head = bucket.load(std::memory_order_acquire);
    if (head & kLockBit) {
      sched_yield();
      continue;
    }
    if (bucket.compare_exchange_weak(head, head | kLockBit, std::memory_order_acquire)) break;
  }
  if (uint32_t found = find(head)) {
    bucket.store(head, std::memory_order_release);
    return found;
  }
  uint32_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  if (id >= kMaxNodes) {
    next_id_.store(kMaxNodes, std::memory_order_relaxed);
    bucket.store(head, std::memory_order_release);
    return parent;
  }
  StackNode& n = nodes_[id];
  n.parent = parent;
  n.epoch = epoch;
  n.next_in_bucket = head;
  // Matched by the acquire loads in find() and in the writer's node dump.
  n.ip.store(ip, std::memory_order_release);
  bucket.store(id, std::memory_order_release);  // also unlocks
  return id;
}

}  // namespace heaptrail::preload
