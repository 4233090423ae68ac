// Where CPython keeps what a Python frame is made of, per interpreter
// version, and the detection of the interpreter that runs in this process.
//
// The recorder reads the interpreter's memory directly (no call into
// Python: the hooks may run with or without the GIL, inside any allocation
// of the interpreter). Internal layouts are not an API, so a layout is used
// only for a version it was measured on (docs/python_frames_research.md),
// checked against the size of _PyRuntime and, for 3.13, against the offsets
// the interpreter publishes for debuggers (_Py_DebugOffsets). Anything else
// records native frames only, and says so once on stderr.
//
// Thread-safety: DetectPythonInterpreter() runs once, in the library's
// constructor; the result is read-only afterwards.

#ifndef HEAPTRAIL_PRELOAD_PYTHON_LAYOUT_H_
#define HEAPTRAIL_PRELOAD_PYTHON_LAYOUT_H_

#include <cstdint>

namespace heaptrail::preload {

// How a version links an eval-loop activation's frames.
enum class PythonFrameWalk {
  kCFrames,     // 3.11: each activation's _PyCFrame points at its innermost
                // frame; its outermost one is marked is_entry
  kCFrameChain, // 3.12: tstate->cframe->current_frame starts one chain, in
                // which an entry shim follows each activation's frames
  kChain,       // 3.13: the same chain from tstate->current_frame
};

// Byte offsets of the fields the recorder reads; -1 where a version has no
// such field.
struct PythonLayout {
  PythonFrameWalk walk;
  // _PyRuntimeState: the thread-specific key of each OS thread's first
  // thread state (Py_tss_t: int initialized, then pthread_key_t).
  int runtime_tss_key;
  int runtime_main_interpreter;  // interpreters.main
  // PyThreadState.
  int tstate_interp;
  int tstate_thread_id;
  int tstate_cframe;         // 3.11, 3.12: _PyCFrame* of the running eval loop
  int tstate_root_cframe;    // 3.11: the embedded outermost _PyCFrame
  int tstate_current_frame;  // 3.13
  // _PyCFrame (3.11, 3.12).
  int cframe_current_frame;
  int cframe_previous;
  // _PyInterpreterFrame.
  int frame_code;
  int frame_previous;
  int frame_instruction;  // prev_instr (3.11, 3.12) or instr_ptr (3.13)
  int frame_owner;
  int frame_is_entry;     // 3.11: the eval loop's first frame
  // PyCodeObject.
  int code_size;          // ob_size: code units
  int code_first_line;
  int code_version;       // 3.12, 3.13: changes when an address is reused
  int code_first_traceable;
  int code_instructions;  // co_code_adaptive
  int code_filename;
  int code_qualname;
  int code_linetable;
  // str: where a compact string's characters start.
  int ascii_data;
  int compact_data;
};

// The interpreter found in this process.
struct PythonInterpreter {
  uint64_t version = 0;  // PY_VERSION_HEX
  const PythonLayout* layout = nullptr;
  uintptr_t runtime = 0;  // &_PyRuntime
  uintptr_t code_type = 0;
  uintptr_t unicode_type = 0;
  uintptr_t bytes_type = 0;
};

// Finds the interpreter among the loaded modules. False when there is
// none, or when its version's layout is not known (one line on stderr).
bool DetectPythonInterpreter(PythonInterpreter& out);

// Frame owners (enum _frameowner).
inline constexpr uint8_t kFrameOwnedByGenerator = 1;
inline constexpr uint8_t kFrameOwnedByCStack = 3;  // 3.12, 3.13: an eval loop's entry shim

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_PYTHON_LAYOUT_H_
