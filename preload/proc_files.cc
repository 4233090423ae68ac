// ProcFile descriptors with their identity (see proc_files.h).

#include "proc_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trace_file.h"

namespace heaptrail::preload {
namespace {

// A /proc file kept open at a high number, with the identity it had.
struct ProcFile {
  const char* path;
  int flags;
  int fd;
  dev_t device;
  ino_t inode;

  bool StillOurs() const {
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == device && st.st_ino == inode;
  }

  void Open() {
    fd = open(path, flags | O_CLOEXEC);
    if (fd >= 0) fd = MoveToHighDescriptor(fd);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0) {
      device = st.st_dev;
      inode = st.st_ino;
    } else {
      fd = -1;
    }
  }

  // Our descriptor, opened again if the program took the number.
  int Get() {
    if (!StillOurs()) Open();
    return fd;
  }
};

constinit ProcFile statm = {"/proc/self/statm", O_RDONLY, -1, 0, 0};
constinit ProcFile task = {"/proc/self/task", O_RDONLY | O_DIRECTORY, -1, 0, 0};
constinit ProcFile maps = {"/proc/self/maps", O_RDONLY, -1, 0, 0};
constinit char exe_path[4096] = {};
constinit ssize_t exe_path_size = 0;
constinit char cmdline[16384] = {};
constinit ssize_t cmdline_size = 0;

ssize_t ReadWhole(int fd, char* buffer, size_t size) {
  ssize_t total = 0;
  while (total < ssize_t(size)) {
    ssize_t n = pread(fd, buffer + total, size - total, total);
    if (n <= 0) break;
    total += n;
  }
  return total;
}

}  // namespace

void OpenProcFiles() {
  for (ProcFile* file : {&statm, &task, &maps}) {
    if (file->StillOurs()) close(file->fd);  // a forked child's: the parent's
    file->Open();
  }
  exe_path_size = readlink("/proc/self/exe", exe_path, sizeof(exe_path));
  if (exe_path_size < 0) exe_path_size = 0;
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  cmdline_size = fd >= 0 ? ReadWhole(fd, cmdline, sizeof(cmdline)) : 0;
  if (fd >= 0) close(fd);
}

std::string_view ExecutablePath() { return {exe_path, size_t(exe_path_size)}; }

std::string_view CommandLine() { return {cmdline, size_t(cmdline_size)}; }

bool ReadResidentBytes(uint64_t* bytes) {
  char text[128];
  int fd = statm.Get();
  ssize_t n = fd >= 0 ? ReadWhole(fd, text, sizeof(text) - 1) : -1;
  if (n <= 0) return false;
  text[n] = '\0';
  unsigned long size_pages = 0, resident_pages = 0;
  if (sscanf(text, "%lu %lu", &size_pages, &resident_pages) != 2) return false;
  *bytes = uint64_t{resident_pages} * sysconf(_SC_PAGESIZE);
  return true;
}

uint32_t CountThreads() {
  struct stat st;
  int fd = task.Get();
  // The directory links ".", ".." and one entry per thread.
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_nlink < 3) return 0;
  return static_cast<uint32_t>(st.st_nlink - 2);
}

size_t ThreadIds(pid_t* out, size_t capacity) {
  int fd = task.Get();
  if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0) return 0;
  size_t count = 0;
  alignas(8) char buffer[4096];
  while (count < capacity) {
    long n = syscall(SYS_getdents64, fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    for (long offset = 0; offset < n && count < capacity;) {
      auto* entry = reinterpret_cast<dirent64*>(buffer + offset);
      long tid = 0;
      const char* name = entry->d_name;
      for (; *name >= '0' && *name <= '9'; ++name) tid = tid * 10 + (*name - '0');
      if (*name == '\0' && tid > 0) out[count++] = static_cast<pid_t>(tid);
      offset += entry->d_reclen;
    }
  }
  return count;
}

ssize_t ReadMaps(char* buffer, size_t size, bool reopen) {
  int own = reopen ? open("/proc/self/maps", O_RDONLY | O_CLOEXEC) : -1;
  int fd = own >= 0 ? own : maps.Get();
  ssize_t result = -1;  // too small, unless it all fits
  if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0) {
    size_t total = 0;
    while (total < size) {
      ssize_t n = read(fd, buffer + total, size - total);
      if (n <= 0) {
        if (n == 0) result = static_cast<ssize_t>(total);
        break;
      }
      total += n;
    }
  }
  if (own >= 0) close(own);
  return result;
}

}  // namespace heaptrail::preload
