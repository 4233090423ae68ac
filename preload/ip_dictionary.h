// The writer's numbering of the distinct ips of stack nodes, in the order
// they were first written, so that a node names an ip it shares with an
// earlier node by its number (format 7, kStackNodes).
//
// A program's nodes far outnumber its ips: every ip sits in many stacks
// (the Python bench row: 12,055 nodes over 1,255 ips; cc1plus: 296,105 over
// 9,059). A new ip costs its delta from the previous new ip; a known one
// its number's distance from the previous node's, and the ips of a stack
// seen again were mostly numbered one after the other.
//
// Thread-safety: the writer's (under its lock). Pages of its own, grown by
// doubling.

#ifndef HEAPTRAIL_PRELOAD_IP_DICTIONARY_H_
#define HEAPTRAIL_PRELOAD_IP_DICTIONARY_H_

#include <cstdint>

namespace heaptrail::preload {

class IpDictionary {
 public:
  // The number of `ip` and, when it is new (numbered now, the highest),
  // its delta from the previous new ip.
  struct Entry {
    uint64_t index;
    bool is_new;
    int64_t delta;
  };
  Entry Find(uint64_t ip);

  // Forgets every ip (a forked child starts a trace of its own).
  void Clear();

 private:
  struct Slot {
    uint64_t ip;     // 0: empty (no frame has ip 0)
    uint64_t index;  // numbered in order of first appearance, from 0
  };

  bool Grow();

  Slot* slots_ = nullptr;
  uint64_t capacity_ = 0;  // a power of two
  uint64_t count_ = 0;
  uint64_t latest_new_ = 0;
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_IP_DICTIONARY_H_
