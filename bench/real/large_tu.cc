// The translation unit the "g++ compile" benchmark row compiles (with -O2):
// much of the standard library, instantiated, as in a real C++ source file.
// Nothing runs it; only its compilation is timed.

#include <algorithm>
#include <deque>
#include <functional>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace bench {

struct Record {
  std::string name;
  std::vector<double> values;
  std::map<std::string, std::variant<int, double, std::string>> attributes;
};

std::map<std::string, double> Summarize(const std::vector<Record>& records) {
  std::map<std::string, double> sums;
  for (const Record& record : records) {
    sums[record.name] += std::accumulate(record.values.begin(), record.values.end(), 0.0);
  }
  return sums;
}

std::unordered_map<std::string, std::set<int>> Index(const std::vector<Record>& records) {
  std::unordered_map<std::string, std::set<int>> index;
  for (int i = 0; i < static_cast<int>(records.size()); ++i) {
    for (const auto& [key, value] : records[i].attributes) {
      std::visit([&](const auto&) { index[key].insert(i); }, value);
    }
  }
  return index;
}

std::string Describe(const std::string& name, std::optional<long> age) {
  std::ostringstream out;
  out << name << " " << (age ? *age : -1);
  return out.str();
}

std::deque<std::tuple<int, std::string, double>> Sorted(std::list<std::tuple<int, std::string, double>> items) {
  items.sort();
  std::deque<std::tuple<int, std::string, double>> out(items.begin(), items.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::get<2>(a) < std::get<2>(b);
  });
  return out;
}

void RunAll(std::vector<std::function<void()>> tasks) {
  for (auto& task : tasks) task();
}

std::unordered_set<std::shared_ptr<Record>> Shared(const std::vector<Record>& records) {
  std::unordered_set<std::shared_ptr<Record>> out;
  for (const Record& record : records) out.insert(std::make_shared<Record>(record));
  return out;
}

}  // namespace bench
