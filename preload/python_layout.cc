// The per-version layouts (measured: docs/python_frames_research.md) and
// the interpreter's detection.

#include "python_layout.h"

#include <unistd.h>

#include <cstring>

#include "dynamic_symbols.h"
#include "memory_loads.h"

namespace heaptrail::preload {
namespace {

constexpr PythonLayout kPython311 = {
    .walk = PythonFrameWalk::kCFrames,
    .runtime_tss_key = 592,
    .runtime_main_interpreter = 48,
    .tstate_interp = 16,
    .tstate_thread_id = 152,
    .tstate_cframe = 56,
    .tstate_root_cframe = 336,
    .tstate_current_frame = -1,
    .cframe_current_frame = 8,
    .cframe_previous = 16,
    .frame_code = 32,
    .frame_previous = 48,
    .frame_instruction = 56,
    .frame_owner = 69,
    .frame_is_entry = 68,
    .code_size = 16,
    .code_first_line = 72,
    .code_version = -1,
    .code_first_traceable = 168,
    .code_instructions = 184,
    .code_filename = 112,
    .code_qualname = 128,
    .code_linetable = 136,
    .ascii_data = 48,
    .compact_data = 72,
};

constexpr PythonLayout kPython312 = {
    .walk = PythonFrameWalk::kCFrameChain,
    .runtime_tss_key = 1544,
    .runtime_main_interpreter = 48,
    .tstate_interp = 16,
    .tstate_thread_id = 136,
    .tstate_cframe = 56,
    .tstate_root_cframe = 272,
    .tstate_current_frame = -1,
    .cframe_current_frame = 0,
    .cframe_previous = 8,
    .frame_code = 0,
    .frame_previous = 8,
    .frame_instruction = 56,
    .frame_owner = 70,
    .frame_is_entry = -1,
    .code_size = 16,
    .code_first_line = 68,
    .code_version = 92,
    .code_first_traceable = 176,
    .code_instructions = 192,
    .code_filename = 112,
    .code_qualname = 128,
    .code_linetable = 136,
    .ascii_data = 40,
    .compact_data = 56,
};

constexpr PythonLayout kPython313 = {
    .walk = PythonFrameWalk::kChain,
    .runtime_tss_key = 2160,
    .runtime_main_interpreter = 640,
    .tstate_interp = 16,
    .tstate_thread_id = 152,
    .tstate_cframe = -1,
    .tstate_root_cframe = -1,
    .tstate_current_frame = 72,
    .cframe_current_frame = -1,
    .cframe_previous = -1,
    .frame_code = 0,
    .frame_previous = 8,
    .frame_instruction = 56,
    .frame_owner = 70,
    .frame_is_entry = -1,
    .code_size = 16,
    .code_first_line = 68,
    .code_version = 92,
    .code_first_traceable = 184,
    .code_instructions = 200,
    .code_filename = 112,
    .code_qualname = 128,
    .code_linetable = 136,
    .ascii_data = 40,
    .compact_data = 56,
};

struct KnownVersion {
  uint64_t minor;          // (PY_VERSION_HEX >> 16) & 0xff
  uint64_t runtime_size;   // sizeof(_PyRuntimeState)
  const PythonLayout* layout;
};

constexpr KnownVersion kKnownVersions[] = {
    {11, 166688, &kPython311},
    {12, 459944, &kPython312},
    {13, 283320, &kPython313},
};

// 3.13's _Py_DebugOffsets, at the start of _PyRuntime: its cookie, then
// uint64 fields. The ones checked against kPython313 (offsets measured on
// 3.13.0), by their place in the struct.
struct DebugOffsetCheck {
  int at;
  int expected;
};
constexpr char kDebugCookie[8] = {'x', 'd', 'e', 'b', 'u', 'g', 'p', 'y'};
constexpr int kDebugFreeThreaded = 16;
constexpr DebugOffsetCheck kDebugOffsetChecks[] = {
    {184, kPython313.tstate_current_frame},  {192, kPython313.tstate_thread_id},
    {232, kPython313.frame_previous},        {240, kPython313.frame_code},
    {248, kPython313.frame_instruction},     {264, kPython313.frame_owner},
    {280, kPython313.code_filename},         {296, kPython313.code_qualname},
    {304, kPython313.code_linetable},        {312, kPython313.code_first_line},
    {344, kPython313.code_instructions},
};

bool DebugOffsetsAgree(uintptr_t runtime) {
  if (std::memcmp(reinterpret_cast<const void*>(runtime), kDebugCookie, sizeof(kDebugCookie)) !=
      0) {
    return false;
  }
  if (Load64(runtime + kDebugFreeThreaded) != 0) return false;  // 3.13t: another object layout
  for (const DebugOffsetCheck& check : kDebugOffsetChecks) {
    if (Load64(runtime + check.at) != static_cast<uint64_t>(check.expected)) return false;
  }
  return true;
}

char* AppendNumber(char* out, unsigned number) {
  char digits[10];
  int count = 0;
  do digits[count++] = char('0' + number % 10);
  while ((number /= 10) != 0);
  while (count > 0) *out++ = digits[--count];
  return out;
}

char* AppendText(char* out, const char* text) {
  size_t size = strlen(text);
  std::memcpy(out, text, size);
  return out + size;
}

// No snprintf: it may allocate, and this runs inside the tracker.
void SayUnknownVersion(uint64_t version) {
  char line[160];
  char* out = AppendText(line, "heaptrail: Python ");
  if (version == 0) {  // no Py_Version
    out = AppendText(out, "before 3.11");
  } else {
    out = AppendNumber(out, (version >> 24) & 0xff);
    *out++ = '.';
    out = AppendNumber(out, (version >> 16) & 0xff);
    *out++ = '.';
    out = AppendNumber(out, (version >> 8) & 0xff);
  }
  out = AppendText(out, ": its frame layout is not known; stacks show native frames only\n");
  ssize_t ignored = write(STDERR_FILENO, line, out - line);
  (void)ignored;
}

}  // namespace

bool DetectPythonInterpreter(PythonInterpreter& out) {
  DynamicSymbol runtime_symbol = FindDynamicSymbol("_PyRuntime");
  uintptr_t runtime = runtime_symbol.address;
  if (runtime == 0) return false;  // not a Python program
  uintptr_t version_address = FindDynamicSymbol("Py_Version").address;  // since 3.11
  uint64_t version = version_address != 0 ? Load64(version_address) : 0;
  uint64_t size = runtime_symbol.size;
  const PythonLayout* layout = nullptr;
  for (const KnownVersion& known : kKnownVersions) {
    if (version >> 24 == 3 && ((version >> 16) & 0xff) == known.minor &&
        size == known.runtime_size) {
      layout = known.layout;
    }
  }
  if (layout == &kPython313 && !DebugOffsetsAgree(runtime)) layout = nullptr;
  out.code_type = FindDynamicSymbol("PyCode_Type").address;
  out.unicode_type = FindDynamicSymbol("PyUnicode_Type").address;
  out.bytes_type = FindDynamicSymbol("PyBytes_Type").address;
  if (layout == nullptr || out.code_type == 0 || out.unicode_type == 0 || out.bytes_type == 0) {
    SayUnknownVersion(version);
    return false;
  }
  out.version = version;
  out.layout = layout;
  out.runtime = runtime;
  return true;
}

}  // namespace heaptrail::preload
