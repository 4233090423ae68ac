// Whether `heaptrail run` starts a Python program: CPython's small-object
// allocator (pymalloc) serves objects of up to 512 bytes from 256 KiB arenas
// of its own, so the tracker would see arenas, not objects. For a Python
// program `run` sets PYTHONMALLOC=malloc (unless the environment sets it, or
// --pymalloc is given): every object is then a malloc of its own size.
//
// Thread-safe.

#ifndef HEAPTRAIL_ANALYZER_CLI_PYTHON_PROGRAM_H_
#define HEAPTRAIL_ANALYZER_CLI_PYTHON_PROGRAM_H_

#include <string>

namespace heaptrail::analyzer {

// True for an interpreter named python* (python3, python3.11, pyenv's
// shims), or a script whose #! line names one (pip, pytest, ./tool.py).
bool IsPythonProgram(const std::string& path);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_PYTHON_PROGRAM_H_
