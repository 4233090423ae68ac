// Shared subcommand plumbing.

#include "cli/cli_common.h"

#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "cli/progress.h"
#include "symbolize/symbol_warmer.h"

namespace heaptrail::analyzer {

namespace {

absl::StatusOr<std::unique_ptr<TraceAnalysis>> Load(
    const std::string& path, CliIo& io, SymbolWarmer* warmer) {
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis;
  {
    ProgressMeter progress(io.err, io.err_is_terminal);
    AnalyzeOptions options;
    options.progress = [&progress](uint64_t done, uint64_t total) {
      progress.Update(done, total);
    };
    if (warmer != nullptr) {
      options.on_stack_nodes = [warmer](const StackNodesRecord& record,
                                        ModuleMap& modules) {
        warmer->Add(record, modules);
      };
      options.on_module_load = [warmer](ModuleMap& modules) {
        warmer->ModulesLoaded(modules);
      };
    }
    analysis = AnalyzeTrace(path, options);
  }
  if (analysis.ok()) {
    for (const std::string& warning : (*analysis)->warnings) {
      io.err << "heaptrail: warning: " << warning << "\n";
    }
  }
  return analysis;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TraceAnalysis>> LoadTrace(
    const std::string& path, CliIo& io) {
  return Load(path, io, nullptr);
}

absl::StatusOr<SymbolizedTrace> LoadSymbolizedTrace(const std::string& path,
                                                    CliIo& io, bool parallel) {
  SymbolizedTrace trace;
  trace.symbols = MakeDwarfSymbolSource(SymbolizerOptionsFromEnvironment());
  SymbolWarmer warmer(*trace.symbols);
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis =
      Load(path, io, &warmer);
  absl::flat_hash_map<size_t, size_t> loaded_modules = warmer.Stop();
  if (!analysis.ok()) return analysis.status();
  trace.analysis = std::move(*analysis);
  StackSymbolizer::SourceFactory factory;
  // Parallel symbolization loads modules into sources of its own: useless
  // when the warmer loaded them all (a cc1plus report walked 100k stacks
  // for nothing, a tenth of its time).
  if (parallel && !warmer.LoadedEveryModuleSeen()) {
    factory = [] {
      return MakeDwarfSymbolSource(SymbolizerOptionsFromEnvironment());
    };
  }
  trace.symbolizer = std::make_unique<StackSymbolizer>(
      trace.analysis->stacks, trace.analysis->modules, trace.analysis->python,
      *trace.symbols, std::move(factory), std::move(loaded_modules));
  return trace;
}

// LeakSanitizer checks at exit what is still allocated: keep it meaningful.
#if defined(__SANITIZE_ADDRESS__)
#define HEAPTRAIL_CHECKS_LEAKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEAPTRAIL_CHECKS_LEAKS 1
#endif
#endif

int Finish(CliIo& io, int code) {
  io.out.flush();
  io.err.flush();
#ifndef HEAPTRAIL_CHECKS_LEAKS
  if (io.exit_when_done) _exit(code);
#endif
  return code;
}

int ReportError(CliIo& io, const absl::Status& status) {
  io.err << "heaptrail: error: " << status.message() << "\n";
  return kExitError;
}

void AddByOption(CLI::App& command, std::string* by) {
  command
      .add_option("--by", *by,
                  "Group sites by line (default), function, file or stack")
      ->check(CLI::IsMember({"line", "function", "file", "stack"}));
}

void AddCumulativeFlag(CLI::App& command, bool* cumulative, const char* shows) {
  command.add_flag("--cumulative", *cumulative,
                   absl::StrCat("Credit every frame of a stack, not only the "
                                "allocating one: a site shows ",
                                shows,
                                " that was allocated under it (recursion "
                                "counted once)"));
}

CLI::Option* AddTopOption(CLI::App& command, size_t* top, const char* what) {
  return command.add_option(
      "--top", *top,
      absl::StrCat("Show the N first ", what,
                   " (default: 10 in text, all in JSON)"));
}

void AddFormatOption(CLI::App& command, std::string* format) {
  command.add_option("--format", *format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
}

void AddAllocFnOption(CLI::App& command) {
  command.add_option_function<std::vector<std::string>>(
      "--alloc-fn",
      [](const std::vector<std::string>& patterns) { SetAllocationWrappers(patterns); },
      "A function that wraps the allocator (a glob on its name, without "
      "parameters: my_alloc, Pool::*): blocks are credited to its caller, as "
      "for the built-in list (CPython's PyMem_*/PyObject_*, the JVM's "
      "os::malloc and AllocateHeap, glib's g_malloc*, xmalloc...). "
      "Repeatable");
}

void AddLeakKindOption(CLI::App& command, std::string* kinds) {
  command.add_option(
      "--leak-kind", *kinds,
      "Only the blocks live at the end of these kinds, as valgrind's memcheck "
      "classifies them at exit: definite, indirect, possible, reachable, or "
      "all (comma-separated). Implies the end");
}

size_t TopOrDefault(const CLI::Option& top_option, size_t top, bool json) {
  if (top_option.count() > 0) return top;
  return json ? 0 : 10;
}

absl::StatusOr<GroupBy> ParseGrouping(const std::string& by, bool cumulative) {
  absl::StatusOr<GroupBy> parsed = ParseGroupBy(by);
  if (parsed.ok() && cumulative && *parsed == GroupBy::kStack) {
    return absl::InvalidArgumentError(
        "--cumulative groups by line, function or file, not by stack");
  }
  return parsed;
}

absl::Status WriteOutputFile(const std::string& path, std::string_view data) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << data;
  file.close();
  if (!file) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace heaptrail::analyzer
