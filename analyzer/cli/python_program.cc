// IsPythonProgram: the name, else the #! line (see python_program.h).

#include "cli/python_program.h"

#include <fstream>
#include <string_view>

namespace heaptrail::analyzer {

bool IsPythonProgram(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string_view name =
      std::string_view(path).substr(slash == std::string::npos ? 0 : slash + 1);
  if (name.starts_with("python")) return true;
  std::ifstream file(path, std::ios::binary);
  std::string line;
  if (!file || !std::getline(file, line) || !line.starts_with("#!")) {
    return false;
  }
  // The interpreter and its first argument ("/usr/bin/env python3").
  return line.find("python") != std::string::npos;
}

}  // namespace heaptrail::analyzer
