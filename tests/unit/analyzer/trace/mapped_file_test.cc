// MappedFile: reads of a mapping, the SIGBUS guard, and pages given back.

#include "trace/mapped_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

// A file of `pages` pages, each filled with its index; its descriptor.
int PagesFile(const std::string& name, size_t pages) {
  const std::string path = ::testing::TempDir() + "/mapped_file_test_" +
                           std::to_string(getpid()) + "_" + name;
  std::string bytes;
  for (size_t i = 0; i < pages; ++i) bytes.append(kPage, static_cast<char>(i));
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);  // RDWR: ftruncate
  ::unlink(path.c_str());
  return fd;
}

// The mapping's resident bytes, from /proc/self/smaps.
size_t ResidentBytes(const MappedFile& file) {
  char start[32];
  std::snprintf(start, sizeof(start), "%lx-",
                reinterpret_cast<unsigned long>(file.bytes().data()));
  std::ifstream smaps("/proc/self/smaps");
  bool in_mapping = false;
  for (std::string line; std::getline(smaps, line);) {
    if (line.rfind(start, 0) == 0) in_mapping = true;
    if (in_mapping && line.rfind("Rss:", 0) == 0) {
      std::istringstream fields(line.substr(4));
      size_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  ADD_FAILURE() << "no mapping at " << start;
  return 0;
}

TEST(MappedFileTest, ReadsTheFile) {
  const int fd = PagesFile("read", 3);
  MappedFile file(fd, 3 * kPage);
  ASSERT_TRUE(file.mapped());
  ASSERT_EQ(file.bytes().size(), 3 * kPage);
  uint8_t byte = 0;
  EXPECT_TRUE(file.Read([&] { byte = file.bytes()[2 * kPage + 7]; }));
  EXPECT_EQ(byte, 2);
  ::close(fd);
}

TEST(MappedFileTest, AnEmptyFileIsNotMapped) {
  const int fd = PagesFile("empty", 0);
  MappedFile file(fd, 0);
  EXPECT_FALSE(file.mapped());
  bool ran = false;
  EXPECT_TRUE(file.Read([&] { ran = true; }));
  EXPECT_TRUE(ran);
  ::close(fd);
}

TEST(MappedFileTest, ReadPastATruncatedEndFailsAndTheNextReadWorks) {
  const int fd = PagesFile("truncated", 4);
  MappedFile file(fd, 4 * kPage);
  ASSERT_TRUE(file.mapped());
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(kPage)), 0);
  volatile uint8_t sink = 0;
  EXPECT_FALSE(file.Read([&] { sink = file.bytes()[3 * kPage]; }));
  EXPECT_TRUE(file.Read([&] { sink = file.bytes()[kPage - 1]; }));
  EXPECT_EQ(sink, 0);
  // Twice: the guard and the signal mask are restored after a fault.
  EXPECT_FALSE(file.Read([&] { sink = file.bytes()[2 * kPage]; }));
  ::close(fd);
}

TEST(MappedFileTest, ReleasedPagesAreNoLongerResident) {
  const int fd = PagesFile("release", 8);
  MappedFile file(fd, 8 * kPage);
  ASSERT_TRUE(file.mapped());
  uint64_t sum = 0;
  ASSERT_TRUE(file.Read([&] {
    for (size_t i = 0; i < 8; ++i) sum += file.bytes()[i * kPage];
  }));
  EXPECT_EQ(sum, 28u);
  EXPECT_EQ(ResidentBytes(file), 8 * kPage);
  // Only whole pages: the one holding the offset stays.
  file.ReleaseBefore(5 * kPage + 100);
  EXPECT_EQ(ResidentBytes(file), 3 * kPage);
  file.ReleaseBefore(2 * kPage);  // already released: nothing changes
  EXPECT_EQ(ResidentBytes(file), 3 * kPage);
  // Released pages read the same when touched again.
  uint8_t byte = 0;
  EXPECT_TRUE(file.Read([&] { byte = file.bytes()[kPage]; }));
  EXPECT_EQ(byte, 1);
  ::close(fd);
}

}  // namespace
}  // namespace heaptrail::analyzer
