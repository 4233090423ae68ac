// Speedscope: frames interned by (name, file, line), one sample per stack.

#include "export/speedscope.h"

#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "export/user_frames.h"

namespace heaptrail::analyzer {

nlohmann::json SpeedscopeProfile(std::span<const StackValue> values,
                                 const StackTree& tree,
                                 StackSymbolizer& symbolizer,
                                 const std::string& name) {
  nlohmann::json frames = nlohmann::json::array();
  absl::flat_hash_map<std::tuple<std::string, std::string, uint32_t>, size_t>
      frame_index;
  nlohmann::json samples = nlohmann::json::array();
  nlohmann::json byte_weights = nlohmann::json::array();
  nlohmann::json block_weights = nlohmann::json::array();
  uint64_t total_bytes = 0;
  uint64_t total_blocks = 0;
  for (const StackValue& value : values) {
    if (value.blocks == 0) continue;
    const std::vector<UserFrame> user =
        UserFrames(value.stack_id, tree, symbolizer);
    nlohmann::json sample = nlohmann::json::array();
    for (auto it = user.rbegin(); it != user.rend(); ++it) {
      const SourceFrame& f = *it->frame;
      const std::string function =
          f.function.empty() ? "[unknown]" : f.function;
      auto [entry, inserted] =
          frame_index.try_emplace(std::tuple(function, f.file, f.line), 0);
      if (inserted) {
        entry->second = frames.size();
        nlohmann::json frame = {{"name", function}};
        if (!f.file.empty()) frame["file"] = f.file;
        if (f.line != 0) frame["line"] = f.line;
        frames.push_back(std::move(frame));
      }
      sample.push_back(entry->second);
    }
    samples.push_back(std::move(sample));
    byte_weights.push_back(value.bytes);
    block_weights.push_back(value.blocks);
    total_bytes += value.bytes;
    total_blocks += value.blocks;
  }
  const auto profile = [&](const char* what, const char* unit,
                           nlohmann::json weights, uint64_t total) {
    return nlohmann::json{{"type", "sampled"},
                          {"name", name + " (" + what + ")"},
                          {"unit", unit},
                          {"startValue", 0},
                          {"endValue", total},
                          {"samples", samples},
                          {"weights", std::move(weights)}};
  };
  return {
      {"$schema", "https://www.speedscope.app/file-format-schema.json"},
      {"shared", {{"frames", std::move(frames)}}},
      {"profiles",
       {profile("live bytes", "bytes", std::move(byte_weights), total_bytes),
        profile("live blocks", "none", std::move(block_weights),
                total_blocks)}},
      {"name", name},
      {"activeProfileIndex", 0},
      {"exporter", "heaptrail"}};
}

}  // namespace heaptrail::analyzer
