// Programs nobody here wrote, from Debian packages: python3 (also with
// multiprocessing's fork), g++ (cc1plus), clang++, cmake + ninja, apt-cache,
// curl, java (a thread pool), chromium (headless, also with its zygote and
// children followed), git, sqlite3, perl, node (with worker threads) and
// unshare (a user namespace: only for a single-threaded process). Under the tracker each
// must print byte-identical output and exit with the same status as without
// it, leave a trace that reports cleanly, and record the same number of
// allocation calls as heaptrack for the same deterministic run (within 1%:
// the environments differ by the preload's own variables, which programs
// that copy their environment allocate for). Scripts are passed as files:
// heaptrack's trace format cannot hold a command line with a newline.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Pinned so that two runs allocate the same: hash seeds, locale, time zone,
// identities and dates.
const std::vector<std::string> kDeterministicEnv = {
    "LC_ALL=C",
    "TZ=UTC",
    "PYTHONHASHSEED=0",
    "PYTHONDONTWRITEBYTECODE=1",
    "PERL_HASH_SEED=0",
    "PERL_PERTURB_KEYS=0",
    "GIT_CONFIG_NOSYSTEM=1",
    "GIT_AUTHOR_NAME=Heaptrail Test",
    "GIT_AUTHOR_EMAIL=test@heaptrail.invalid",
    "GIT_AUTHOR_DATE=2024-01-02T03:04:05Z",
    "GIT_COMMITTER_NAME=Heaptrail Test",
    "GIT_COMMITTER_EMAIL=test@heaptrail.invalid",
    "GIT_COMMITTER_DATE=2024-01-02T03:04:05Z",
};

class RealProgramTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    env_ = kDeterministicEnv;
    env_.push_back("HOME=" + dir_);  // no user configuration (git, node)
  }

  void WriteFile(const std::string& name, const std::string& content) {
    std::ofstream(dir_ + "/" + name) << content;
  }

  // Runs `program` untracked and under `heaptrail run`: same stdout, same
  // status, and a trace that reports without error or warning. Returns the
  // trace's allocation count.
  int64_t CheckTransparent(const std::vector<std::string>& program, const std::string& name) {
    ProcessResult plain = RunProcess(program, env_);
    std::string trace = dir_ + "/" + name + ".trace";
    ProcessResult traced = RunUnderCli(program, trace, env_);
    EXPECT_EQ(traced.exit_code, plain.exit_code) << traced.err;
    EXPECT_EQ(traced.out, plain.out);
    EXPECT_FALSE(plain.out.empty());
    ProcessResult report = RunProcess({CliPath(), "report", trace});
    EXPECT_EQ(report.exit_code, 0) << report.err;
    EXPECT_EQ(report.err, "");
    json summary = Summary(trace);
    EXPECT_FALSE(summary["truncated"].get<bool>());
    int64_t allocations = summary["allocations"].get<int64_t>();
    EXPECT_GT(allocations, 0);
    fs::remove(trace);
    return allocations;
  }

  void CheckAgainstHeaptrack(const std::vector<std::string>& program, int64_t ours) {
    int64_t theirs = HeaptrackCount(program, dir_ + "/heaptrack", env_);
    RecordProperty("heaptrail_allocations", std::to_string(ours));
    RecordProperty("heaptrack_allocations", std::to_string(theirs));
    std::printf("%s: heaptrail %lld, heaptrack %lld allocation calls\n", program[0].c_str(),
                static_cast<long long>(ours), static_cast<long long>(theirs));
    EXPECT_LE(std::llabs(ours - theirs), theirs / 100) << "heaptrail " << ours << " vs heaptrack "
                                                       << theirs;
  }

  // `program` untracked and under `heaptrail run --follow-fork` (each
  // process its own trace in a directory of its own): same stdout, same
  // status, and every trace reads without error (a child its parent killed
  // has no end: a warning). Returns the number of traces.
  size_t CheckTransparentFollowingForks(const std::vector<std::string>& program,
                                        const std::string& name) {
    ProcessResult plain = RunProcess(program, env_);
    std::string traces = dir_ + "/" + name + ".traces";
    fs::create_directories(traces);
    std::vector<std::string> env = env_;
    env.push_back("HEAPTRAIL_FOLLOW_FORK=1");
    ProcessResult traced = RunUnderCli(program, traces + "/" + name + ".%p.trace", env);
    EXPECT_EQ(traced.exit_code, plain.exit_code) << traced.err;
    EXPECT_EQ(traced.out, plain.out);
    EXPECT_FALSE(plain.out.empty());
    std::vector<std::string> files = FilesIn(traces);
    for (const std::string& file : files) {
      ProcessResult report = RunProcess({CliPath(), "report", traces + "/" + file});
      EXPECT_EQ(report.exit_code, 0) << file << ": " << report.err;
      EXPECT_EQ(report.err.find("error"), std::string::npos) << file << ": " << report.err;
    }
    fs::remove_all(traces);
    return files.size();
  }

  // Transparency, then the count comparison.
  void Check(const std::vector<std::string>& program, const std::string& name) {
    ASSERT_TRUE(fs::exists(program[0])) << program[0] << " is missing: run scripts/setup.sh";
    int64_t ours = CheckTransparent(program, name);
    CheckAgainstHeaptrack(program, ours);
  }

  std::vector<std::string> env_;
};

TEST_F(RealProgramTest, Python) {
  // Dicts, lists, strings, tuples, a sort and JSON.
  const std::string script = R"(
import json, hashlib
records = [{"id": i, "name": "item%d" % i, "tags": [str(j) for j in range(i % 7)]}
           for i in range(60000)]
index = {r["name"]: r for r in records}
words = sorted(("%x" % (i * 2654435761 % 1000003)) * (i % 5 + 1) for i in range(50000))
text = json.dumps(records[:5000], sort_keys=True)
digest = hashlib.sha256((text + "".join(words[:1000])).encode()).hexdigest()
print(len(index), len(words), len(text), digest)
)";
  WriteFile("workload.py", script);
  // Every object through malloc (not pymalloc's arenas): ~1M allocations.
  env_.push_back("PYTHONMALLOC=malloc");
  Check({"/usr/bin/python3", dir_ + "/workload.py"}, "python3");
}

TEST_F(RealProgramTest, GccCompilesATranslationUnit) {
  WriteFile("unit.cc", R"(
#include <algorithm>
#include <map>
#include <string>
#include <vector>
template <typename T> T Sum(const std::vector<T>& v) { T s{}; for (auto& x : v) s += x; return s; }
std::map<std::string, int> Count(const std::vector<std::string>& words) {
  std::map<std::string, int> counts;
  for (const auto& w : words) ++counts[w];
  return counts;
}
int Use() { std::vector<int> v = {3, 1, 2}; std::sort(v.begin(), v.end()); return Sum(v); }
)");
  // The driver, as a user runs it: identical object files.
  std::string source = dir_ + "/unit.cc";
  std::vector<std::string> driver = {"/usr/bin/g++", "-O1", "-c", source, "-o"};
  std::vector<std::string> plain = driver, traced = driver;
  plain.push_back(dir_ + "/plain.o");
  traced.push_back(dir_ + "/traced.o");
  EXPECT_EQ(RunProcess(plain, env_).exit_code, 0);
  ProcessResult run = RunUnderCli(traced, dir_ + "/gpp.trace", env_);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReadFile(dir_ + "/traced.o"), ReadFile(dir_ + "/plain.o"));
  // The compiler proper, where the allocations are (the driver forks it):
  // its assembly on stdout, compared byte for byte, and counted.
  // The arguments are those `g++ -###` shows for it.
  auto ask = [&](const char* option) {
    std::string answer = RunProcess({"/usr/bin/g++", option}).out;
    return answer.substr(0, answer.find('\n'));
  };
  Check({ask("-print-prog-name=cc1plus"), "-quiet", "-imultiarch", ask("-print-multiarch"),
         "-D_GNU_SOURCE", source, "-O1", "-o", "-"},
        "cc1plus");
}

TEST_F(RealProgramTest, GitInitCommitLog) {
  // The same steps in two repositories, untracked and traced: same output,
  // same commit ids (fixed author, dates and content).
  for (const std::string side : {"plain", "traced"}) {
    std::string repo = dir_ + "/" + side;
    fs::create_directories(repo);
    std::ofstream(repo + "/README") << "heaptrail\n";
    std::ofstream(repo + "/data.txt") << "one\ntwo\nthree\n";
    std::vector<std::vector<std::string>> steps = {
        {"/usr/bin/git", "-C", repo, "init", "-q", "-b", "main"},
        {"/usr/bin/git", "-C", repo, "add", "."},
        {"/usr/bin/git", "-C", repo, "commit", "-q", "-m", "first"},
    };
    for (const auto& step : steps) {
      ProcessResult result = side == "plain" ? RunProcess(step, env_)
                                             : RunUnderCli(step, dir_ + "/git.trace", env_);
      EXPECT_EQ(result.exit_code, 0) << step[3] << ": " << result.err;
      fs::remove(dir_ + "/git.trace");
    }
  }
  ProcessResult plain_log =
      RunProcess({"/usr/bin/git", "-C", dir_ + "/plain", "log", "--stat", "-p"}, env_);
  ASSERT_EQ(plain_log.exit_code, 0) << plain_log.err;
  std::vector<std::string> log = {"/usr/bin/git", "-C", dir_ + "/traced", "log", "--stat", "-p"};
  ProcessResult traced_log = RunProcess(log, env_);
  EXPECT_EQ(traced_log.out, plain_log.out);  // the traced commit is the same commit
  Check(log, "git");
}

TEST_F(RealProgramTest, Sqlite3InMemoryWithAnIndex) {
  const std::string sql = R"(
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
INSERT INTO t(k, v) SELECT printf('key%05d', (i * 7919) % 30000), i % 97 FROM n;
CREATE INDEX t_k ON t(k);
SELECT count(*), sum(v) FROM t WHERE k BETWEEN 'key01000' AND 'key02000';
SELECT v, count(*) FROM t GROUP BY v ORDER BY count(*) DESC, v LIMIT 5;
SELECT k FROM t ORDER BY k LIMIT 3;
)";
  WriteFile("workload.sql", sql);
  Check({"/usr/bin/sqlite3", ":memory:", ".read " + dir_ + "/workload.sql"}, "sqlite3");
}

TEST_F(RealProgramTest, Perl) {
  const std::string script = R"(
my %h; $h{"k" . ($_ * 31 % 50000)} .= "v$_" for 1 .. 80000;
my @sorted = sort { $h{$a} cmp $h{$b} } keys %h;
my $joined = join(",", map { uc } @sorted[0 .. 999]);
my $count = () = $joined =~ /K\d+/g;
print scalar(keys %h), " $count ", length($joined), "\n";
)";
  WriteFile("workload.pl", script);
  Check({"/usr/bin/perl", dir_ + "/workload.pl"}, "perl");
}

TEST_F(RealProgramTest, NodeWithWorkerThreads) {
  WriteFile("workers.js", R"(
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
if (isMainThread) {
  const results = [];
  let pending = 4;
  for (let id = 0; id < 4; ++id) {
    const worker = new Worker(__filename, { workerData: id });
    worker.on('message', (value) => {
      results[id] = value;
      if (--pending === 0) console.log(results.join(' '));
    });
  }
} else {
  const items = [];
  for (let i = 0; i < 20000; ++i) items.push({ i, s: 'w' + workerData + ':' + i });
  const total = items.reduce((sum, item) => sum + item.s.length, 0);
  parentPort.postMessage(total);
}
)");
  Check({"/usr/bin/node", dir_ + "/workers.js"}, "node");
}

TEST_F(RealProgramTest, ClangCompilesATranslationUnit) {
  WriteFile("unit.cc", R"(
#include <map>
#include <string>
#include <vector>
std::map<std::string, int> Count(const std::vector<std::string>& words) {
  std::map<std::string, int> counts;
  for (const auto& w : words) ++counts[w];
  return counts;
}
)");
  // clang 14 compiles in its own process (no cc1 child): the object file on
  // stdout, compared byte for byte, and counted against heaptrack. Its
  // libLLVM frees thousands of blocks from destructors after the tracker's.
  Check({"/usr/bin/clang++", "-O1", "-c", dir_ + "/unit.cc", "-o", "-"}, "clang");
}

TEST_F(RealProgramTest, CmakeConfiguresAndBuildsWithNinjaFollowingForks) {
  WriteFile("CMakeLists.txt",
            "cmake_minimum_required(VERSION 3.20)\nproject(small CXX)\n"
            "add_library(util STATIC util.cc)\nadd_executable(app main.cc)\n"
            "target_link_libraries(app PRIVATE util)\n");
  WriteFile("util.cc", "#include <string>\nstd::string Greeting() { return \"hello\"; }\n");
  WriteFile("main.cc",
            "#include <iostream>\n#include <string>\nstd::string Greeting();\n"
            "int main() { std::cout << Greeting() << '\\n'; }\n");
  // Configure, build and run in a fresh build directory each time: cmake
  // forks the compilers, ninja forks them again.
  std::string script = "d=$(mktemp -d -p '" + dir_ + "') && cmake -S '" + dir_ +
                       "' -B \"$d\" -G Ninja >/dev/null && cmake --build \"$d\" >/dev/null && "
                       "\"$d/app\"";
  EXPECT_GT(CheckTransparentFollowingForks({"/bin/sh", "-c", script}, "cmake"), 10u);
}

TEST_F(RealProgramTest, AptCachePolicy) {
  Check({"/usr/bin/apt-cache", "policy", "bash"}, "apt-cache");
}

TEST_F(RealProgramTest, CurlFetchesAFileUrl) {
  std::string data;
  for (int i = 0; i < 2000; ++i) data += "line " + std::to_string(i) + "\n";
  WriteFile("data.txt", data);
  Check({"/usr/bin/curl", "-s", "file://" + dir_ + "/data.txt"}, "curl");
}

TEST_F(RealProgramTest, JavaThreadPool) {
  WriteFile("Pool.java", R"(
import java.util.*;
import java.util.concurrent.*;
public class Pool {
  public static void main(String[] args) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<Long>> results = new ArrayList<>();
    for (int t = 0; t < 8; ++t) {
      final int id = t;
      results.add(pool.submit(() -> {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < 50000; ++i) m.merge("k" + (i * 31 + id) % 5000, 1, Integer::sum);
        long s = 0;
        for (int v : m.values()) s += v;
        return s;
      }));
    }
    long total = 0;
    for (Future<Long> f : results) total += f.get();
    pool.shutdown();
    System.out.println("total " + total);
  }
}
)");
  // The JVM's own threads (JIT, GC) allocate as they please: no count to
  // compare, only transparency.
  CheckTransparent({"/usr/bin/java", dir_ + "/Pool.java"}, "java");
}

// Headless chromium dumping a page's DOM after its script ran: the browser
// alone, then with every process it starts followed (its zygotes check that
// they are single-threaded, and its launcher forks with clone()).
TEST_F(RealProgramTest, ChromiumHeadlessDumpDom) {
  WriteFile("page.html",
            "<html><body><p id=x>static</p><script>document.getElementById('x')"
            ".textContent = 'from script';</script></body></html>");
  auto chromium = [&](const std::string& profile) {
    return std::vector<std::string>{
        "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + dir_ + "/" + profile, "--dump-dom",
        "file://" + dir_ + "/page.html"};
  };
  ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "run scripts/setup.sh";
  CheckTransparentFollowingForks(chromium("followed"), "chromium-followed");
  std::vector<std::string> alone = chromium("alone");
  ProcessResult plain = RunProcess(alone, env_);
  EXPECT_NE(plain.out.find("from script"), std::string::npos) << plain.err;
  std::string trace = dir_ + "/chromium.trace";
  ProcessResult traced = RunUnderCli(alone, trace, env_);
  EXPECT_EQ(traced.exit_code, plain.exit_code) << traced.err;
  EXPECT_EQ(traced.out, plain.out);
}

TEST_F(RealProgramTest, PythonMultiprocessingWithFork) {
  WriteFile("pool.py", R"(
import multiprocessing as mp
def work(n):
    return sum(len(str(i) * (i % 7)) for i in range(n))
if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(3) as pool:
        print(pool.map(work, [20000 + i for i in range(12)]))
)");
  EXPECT_GE(CheckTransparentFollowingForks({"/usr/bin/python3", dir_ + "/pool.py"}, "mp"), 4u);
}

// The kernel refuses a user namespace to a process with more than one
// thread: the tracker must not add one.
TEST_F(RealProgramTest, UnshareIntoAUserNamespace) {
  ProcessResult plain = RunProcess({"/usr/bin/unshare", "-U", "-r", "/usr/bin/id", "-u"}, env_);
  if (plain.exit_code != 0) GTEST_SKIP() << "user namespaces unavailable here: " << plain.err;
  CheckTransparent({"/usr/bin/unshare", "-U", "-r", "/usr/bin/id", "-u"}, "unshare");
}

}  // namespace
}  // namespace heaptrail::testing
