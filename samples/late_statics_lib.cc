// A C++ library with static objects whose destructors free, as libLLVM's
// std::maps do in its __cxa_finalize, and a thread_local whose destructor
// frees on the main thread's way out. Both run after the tracker's own
// destructor (the statics) or before it (the thread_local), never seen by
// the program's own code.
//
// Live at the end: nothing of "late-map-node" (the map's 1000 nodes, freed
// by its destructor) nor of "late-tls-block" (777 bytes, freed by the
// thread_local's destructor); 3003 bytes at "late-static-destructor" and
// 888 bytes at "late-tls-destructor".

#include <cstdlib>
#include <map>

namespace {

void* volatile sink;

struct Payload {
  char bytes[100];
};

struct Registry {
  ~Registry() { sink = malloc(3003); }  // late-static-destructor
  std::map<int, Payload> entries;
};

Registry registry;

struct PerThread {
  PerThread() { block = malloc(777); }  // late-tls-block
  ~PerThread() {
    free(block);
    sink = malloc(888);  // late-tls-destructor
  }
  void* block;
};

thread_local PerThread per_thread;

}  // namespace

// Fills the registry and touches the thread_local; returns the map's size.
extern "C" int LateStaticsFill() {
  for (int i = 0; i < 1000; ++i) registry.entries[i] = Payload{};  // late-map-node
  return static_cast<int>(registry.entries.size()) + (per_thread.block != nullptr);
}
