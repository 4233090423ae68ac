// The Profile message, built table by table: strings, functions, mappings
// and locations are interned while the samples are walked, then written.

#include "export/pprof.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "export/proto_writer.h"
#include "export/user_frames.h"
#include "heaptrail/trace_format.h"

namespace heaptrail::analyzer {
namespace {

// Field numbers of profile.proto.
namespace field {
constexpr uint32_t kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4,
                   kFunction = 5, kStringTable = 6, kTimeNanos = 9,
                   kDurationNanos = 10, kPeriodType = 11, kPeriod = 12,
                   kComment = 13, kDefaultSampleType = 14;
}  // namespace field

class ProfileBuilder {
 public:
  explicit ProfileBuilder(TraceAnalysis& analysis) : analysis_(analysis) {
    String("");  // profile.proto: string_table[0] must be ""
    // pprof takes the first mapping for the main binary.
    const std::vector<Module>& modules = analysis_.modules.modules();
    for (size_t i = 0; i < modules.size(); ++i) {
      if (modules[i].info.path == analysis_.process.executable) {
        Mapping(i);
        break;
      }
    }
  }

  uint64_t String(const std::string& text) {
    auto [it, inserted] = strings_.try_emplace(text, strings_.size());
    if (inserted) string_table_.push_back(text);
    return it->second;
  }

  // The location of `frames`: the (user) frames of one node, one address.
  uint64_t Location(std::span<const UserFrame> frames) {
    const auto key = std::pair(frames.front().node, frames.front().frame);
    auto [it, inserted] = locations_.try_emplace(key, locations_.size() + 1);
    if (!inserted) return it->second;
    ProtoWriter location;
    location.Varint(1, it->second);
    const StackNode* node = frames.front().node != 0
                                ? &analysis_.stacks.node(frames.front().node)
                                : nullptr;
    // A Python frame has no address, so no mapping either: its lines are
    // all there is, and pprof must not look them up in a binary.
    if (node != nullptr && !format::IsPythonFrameIp(node->ip)) {
      const uint64_t mapping = Mapping(*node);
      if (mapping != 0) location.Varint(2, mapping);
      location.Varint(3, node->ip);
    }
    for (const UserFrame& frame : frames) {
      ProtoWriter line;
      line.Varint(1, Function(*frame.frame));
      line.Varint(2, frame.frame->line);
      location.Message(4, line);
    }
    locations_out_.push_back(std::move(location));
    return it->second;
  }

  void Write(ProtoWriter& profile) {
    for (const ProtoWriter& m : mappings_out_)
      profile.Message(field::kMapping, m);
    for (const ProtoWriter& l : locations_out_)
      profile.Message(field::kLocation, l);
    for (const ProtoWriter& f : functions_out_)
      profile.Message(field::kFunction, f);
    for (const std::string& s : string_table_)
      profile.Bytes(field::kStringTable, s);
  }

 private:
  uint64_t Function(const SourceFrame& frame) {
    const std::string name =
        frame.function.empty() ? "[unknown]" : frame.function;
    auto [it, inserted] = functions_.try_emplace(std::pair(name, frame.file),
                                                 functions_.size() + 1);
    if (inserted) {
      ProtoWriter function;
      function.Varint(1, it->second);
      function.Varint(2, String(name));
      function.Varint(3, String(name));
      function.Varint(4, String(frame.file));
      functions_out_.push_back(std::move(function));
    }
    return it->second;
  }

  // The mapping of the module holding a node's call, 0 when none does.
  uint64_t Mapping(const StackNode& node) {
    const std::optional<size_t> module =
        analysis_.modules.Find(node.ip > 0 ? node.ip - 1 : 0, node.epoch);
    return module.has_value() ? Mapping(*module) : 0;
  }

  uint64_t Mapping(size_t module) {
    auto [it, inserted] = mappings_.try_emplace(module, mappings_.size() + 1);
    if (!inserted) return it->second;
    const ModuleInfo& info = analysis_.modules.modules()[module].info;
    uint64_t begin = UINT64_MAX, end = 0, offset = 0;
    for (const Segment& segment : info.segments) {
      if (segment.vaddr < begin) {
        begin = segment.vaddr;
        offset = segment.file_offset;
      }
      end = std::max(end, segment.vaddr + segment.memsz);
    }
    if (info.segments.empty()) begin = 0;
    std::string build_id;
    for (unsigned char c : info.build_id) {
      absl::StrAppend(&build_id, absl::Hex(c, absl::kZeroPad2));
    }
    ProtoWriter mapping;
    mapping.Varint(1, it->second);
    mapping.Varint(2, info.load_bias + begin);
    mapping.Varint(3, info.load_bias + end);
    mapping.Varint(4, offset);
    mapping.Varint(5, String(info.path));
    mapping.Varint(6, String(build_id));
    for (uint32_t flag = 7; flag <= 10; ++flag) mapping.Varint(flag, 1);
    mappings_out_.push_back(std::move(mapping));
    return it->second;
  }

  TraceAnalysis& analysis_;
  absl::flat_hash_map<std::string, uint64_t> strings_;
  std::vector<std::string> string_table_;
  absl::flat_hash_map<std::pair<std::string, std::string>, uint64_t> functions_;
  absl::flat_hash_map<size_t, uint64_t> mappings_;
  absl::flat_hash_map<std::pair<uint32_t, const SourceFrame*>, uint64_t>
      locations_;
  std::vector<ProtoWriter> functions_out_, mappings_out_, locations_out_;
};

}  // namespace

std::string BuildPprofProfile(TraceAnalysis& analysis,
                              std::span<const StackValue> live,
                              const std::string& moment_name,
                              double moment_seconds,
                              StackSymbolizer& symbolizer) {
  ProfileBuilder builder(analysis);
  ProtoWriter profile;
  const std::pair<const char*, const char*> kSampleTypes[] = {
      {"alloc_objects", "count"},
      {"alloc_space", "bytes"},
      {"inuse_objects", "count"},
      {"inuse_space", "bytes"}};
  for (const auto& [type, unit] : kSampleTypes) {
    ProtoWriter value_type;
    value_type.Varint(1, builder.String(type));
    value_type.Varint(2, builder.String(unit));
    profile.Message(field::kSampleType, value_type);
  }

  // Per stack: alloc count, alloc bytes, live blocks, live bytes.
  absl::flat_hash_map<uint32_t, std::array<uint64_t, 4>> values;
  std::vector<uint32_t> order;
  const auto entry = [&](uint32_t stack) -> std::array<uint64_t, 4>& {
    auto [it, inserted] = values.try_emplace(stack, std::array<uint64_t, 4>{});
    if (inserted) order.push_back(stack);
    return it->second;
  };
  for (const StackStats& stats : analysis.heap.stacks()) {
    if (stats.alloc_count == 0) continue;
    auto& v = entry(stats.stack_id);
    v[0] = stats.alloc_count;
    v[1] = stats.alloc_bytes;
  }
  for (const StackValue& value : live) {
    auto& v = entry(value.stack_id);
    v[2] = value.blocks;
    v[3] = value.bytes;
  }
  for (uint32_t stack : order) {
    const std::vector<UserFrame> frames =
        UserFrames(stack, analysis.stacks, symbolizer);
    std::vector<uint64_t> location_ids;
    for (size_t begin = 0; begin < frames.size();) {
      size_t end = begin + 1;
      while (end < frames.size() && frames[end].node == frames[begin].node &&
             frames[begin].node != 0) {
        ++end;
      }
      location_ids.push_back(
          builder.Location(std::span(frames).subspan(begin, end - begin)));
      begin = end;
    }
    ProtoWriter sample;
    sample.PackedVarints(1, location_ids);
    sample.PackedVarints(2, values[stack]);
    profile.Message(field::kSample, sample);
  }

  // Every string is interned before the table is written.
  const uint64_t space = builder.String("space");
  const uint64_t bytes = builder.String("bytes");
  const uint64_t inuse_space = builder.String("inuse_space");
  const uint64_t comment = builder.String(absl::StrCat(
      "heaptrail: ", analysis.process.executable, ", in use at ", moment_name));
  builder.Write(profile);
  profile.Varint(field::kTimeNanos,
                 analysis.header.start_unix_ns +
                     static_cast<uint64_t>(moment_seconds * 1e9));
  profile.Varint(field::kDurationNanos,
                 static_cast<uint64_t>(analysis.DurationSeconds() * 1e9));
  ProtoWriter period_type;
  period_type.Varint(1, space);
  period_type.Varint(2, bytes);
  profile.Message(field::kPeriodType, period_type);
  profile.Varint(field::kPeriod, 1);
  profile.Varint(field::kComment, comment);
  profile.Varint(field::kDefaultSampleType, inuse_space);
  return profile.data();
}

}  // namespace heaptrail::analyzer
