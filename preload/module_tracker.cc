// ModuleTracker: dl_iterate_phdr diffs, queued as encoded records.

#include "module_tracker.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string_view>

#include "chunk_builder.h"
#include "private_heap.h"

namespace heaptrail::preload {
namespace {

struct KnownModule {
  uint64_t load_bias;
  uint64_t name_hash;
  uint32_t id;
  bool seen;  // by the current scan
};

constexpr size_t kMaxKnownModules = 8192;

constinit pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
constinit KnownModule* known = nullptr;     // kMaxKnownModules entries
constinit size_t known_count = 0;
constinit uint32_t next_module_id = 0;
constinit std::atomic<uint32_t> epoch{0};
constinit ChunkBuilder pending;            // queued records
constinit char exe_path[4096] = {};
constinit std::atomic<uint64_t> scanned_generation{~0ull};  // adds + subs << 32

uint64_t HashName(std::string_view name) {
  uint64_t h = 1469598103934665603ull;
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

std::string_view BuildId(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    const char* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
      size_t name_size = (note->n_namesz + 3) & ~size_t{3};
      size_t desc_size = (note->n_descsz + 3) & ~size_t{3};
      const char* name = p + sizeof(ElfW(Nhdr));
      const char* desc = name + name_size;
      if (desc + desc_size > end) break;
      if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0 &&
          note->n_descsz <= format::kMaxBuildIdSize) {
        return {desc, note->n_descsz};
      }
      p = desc + desc_size;
    }
  }
  return {};
}

std::string_view ModulePath(const dl_phdr_info* info) {
  if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0') return info->dlpi_name;
  if (exe_path[0] == '\0') {
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
    if (n > 0) exe_path[n] = '\0';
  }
  return exe_path;
}

void QueueLoad(const dl_phdr_info* info, std::string_view path, uint32_t id) {
  ChunkBuilder& out = pending;
  out.PutRecordType(format::RecordType::kModuleLoad);
  out.PutVarint(id);
  out.PutVarint(epoch.load(std::memory_order_relaxed));
  out.PutString(path);
  out.PutVarint(info->dlpi_addr);
  std::string_view build_id = BuildId(info);
  out.PutVarint(build_id.size());
  out.Append(build_id.data(), build_id.size());
  uint32_t segments = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) segments += info->dlpi_phdr[i].p_type == PT_LOAD;
  if (segments > format::kMaxSegments) segments = format::kMaxSegments;
  out.PutVarint(segments);
  for (int i = 0, written = 0; i < info->dlpi_phnum && written < int(segments); ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    out.PutVarint(ph.p_vaddr);
    out.PutVarint(ph.p_memsz);
    out.PutVarint(ph.p_offset);
    out.PutVarint(ph.p_flags);
    ++written;
  }
}

int VisitModule(dl_phdr_info* info, size_t, void*) {
  std::string_view path = ModulePath(info);
  uint64_t name_hash = HashName(path);
  for (size_t i = 0; i < known_count; ++i) {
    if (known[i].load_bias == info->dlpi_addr && known[i].name_hash == name_hash) {
      known[i].seen = true;
      return 0;
    }
  }
  if (known_count == kMaxKnownModules) return 0;
  uint32_t id = next_module_id++;
  known[known_count++] = {info->dlpi_addr, name_hash, id, true};
  QueueLoad(info, path, id);
  return 0;
}

bool EnsureTables() {
  if (known == nullptr) {
    known = static_cast<KnownModule*>(AllocatePages(sizeof(KnownModule) * kMaxKnownModules));
  }
  return known != nullptr;
}

int ReadGeneration(dl_phdr_info* info, size_t, void* out) {
  *static_cast<uint64_t*>(out) = info->dlpi_adds + (info->dlpi_subs << 32);
  return 1;  // the counters are the same for every object: stop at the first
}

uint64_t LoaderGeneration() {
  uint64_t generation = 0;
  dl_iterate_phdr(ReadGeneration, &generation);
  return generation;
}

}  // namespace

bool RescanModulesIfChanged() {
  if (LoaderGeneration() == scanned_generation.load(std::memory_order_relaxed)) return false;
  uint32_t before = ModuleEpoch();
  RescanModules();
  return ModuleEpoch() != before;
}

void RescanModules() {
  pthread_mutex_lock(&mutex);
  scanned_generation.store(LoaderGeneration(), std::memory_order_relaxed);
  if (EnsureTables()) {
    for (size_t i = 0; i < known_count; ++i) known[i].seen = false;
    dl_iterate_phdr(VisitModule, nullptr);
    bool unloaded = false;
    for (size_t i = 0; i < known_count;) {
      if (known[i].seen) {
        ++i;
        continue;
      }
      if (!unloaded) epoch.fetch_add(1, std::memory_order_relaxed);
      unloaded = true;
      pending.PutRecordType(format::RecordType::kModuleUnload);
      pending.PutVarint(known[i].id);
      pending.PutVarint(epoch.load(std::memory_order_relaxed));
      known[i] = known[--known_count];
    }
  }
  pthread_mutex_unlock(&mutex);
}

uint32_t ModuleEpoch() { return epoch.load(std::memory_order_relaxed); }

void EmitModuleRecords(ChunkBuilder& out) {
  pthread_mutex_lock(&mutex);
  if (pending.size() != 0) {
    out.Append(pending.data(), pending.size());
    pending.Clear();
  }
  pthread_mutex_unlock(&mutex);
}

void ForgetModulesAfterFork() {
  known_count = 0;
  pending.Clear();
  scanned_generation.store(~0ull, std::memory_order_relaxed);
}

void LockModules() { pthread_mutex_lock(&mutex); }
void UnlockModules() { pthread_mutex_unlock(&mutex); }

}  // namespace heaptrail::preload
