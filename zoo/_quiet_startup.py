"""TensorFlow-only: keep TensorFlow's C++ start-up log out of the `zoo` command's output.

TensorFlow 2.21 logs while its shared libraries load, before it reads TF_CPP_MIN_LOG_LEVEL: absl's
"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR", oneDNN's
"custom operations are on", "Could not find cuda drivers" (twice each), and then at device
discovery "failed call to cuInit". Measured on a CPU machine, no environment variable removes the
load-time lines: not TF_CPP_MIN_LOG_LEVEL=3, TF_CPP_MAX_VLOG_LEVEL, ABSL_MIN_LOG_LEVEL,
GLOG_minloglevel nor GLOG_stderrthreshold (TF_ENABLE_ONEDNN_OPTS=0 would, by changing numerics).
So the command sets TF_CPP_MIN_LOG_LEVEL=2 and runs the first `import tensorflow` (and its GPU
discovery) with file descriptor 2 sent through a filter process that drops what level 2 hides
anyway -- INFO and WARNING lines -- and the cuInit error of a machine without a CUDA driver, and
passes the rest on as it comes: errors, a fatal message before a crash, Python warnings and
tracebacks. Only the CLI calls this; `import zoo` leaves the user's logging as it is.
"""

from __future__ import annotations

import os
import sys

# zoo's own setting, so that zoo's subprocesses (`zoo tune --workers`) stay quiet too, while a
# TF_CPP_MIN_LOG_LEVEL the user set means "TensorFlow's log as TensorFlow does it"
_OWN_SETTING = "ZOO_QUIET_TF_LOG"

# A separate process, not a thread: the import holds the GIL while the libraries load, and a
# process outlives a crash of the import, so a fatal message still reaches the terminal.
_FILTER = r"""
import re, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's; it closes our input
hidden = re.compile(rb"WARNING: All log messages before absl::InitializeLog\(\)"
                    rb"|[IW]\d{4} \d\d:\d\d:[\d.]+ +\d+ [^ \]]+:\d+\] ")
no_driver = False
for line in sys.stdin.buffer:
    no_driver = no_driver or b"Could not find cuda drivers" in line
    if hidden.match(line) or (no_driver and b"failed call to cuInit" in line):
        continue
    sys.stdout.buffer.write(line)
    sys.stdout.buffer.flush()
"""


def quiet_tensorflow_startup() -> None:
    """Hide TensorFlow's C++ start-up log in this process, unless ZOO_DEBUG=1 or the user set
    TF_CPP_MIN_LOG_LEVEL. Imports nothing heavy: the filter waits for `import tensorflow`."""
    if os.environ.get("ZOO_DEBUG") == "1":
        return
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ and os.environ.get(_OWN_SETTING) != "1":
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    os.environ[_OWN_SETTING] = "1"
    if os.name != "posix" or "tensorflow" in sys.modules:
        return
    if not any(isinstance(finder, _QuietTensorFlowImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowImport())


class _QuietTensorFlowImport:
    """A one-shot meta-path finder: runs the module body of `tensorflow` inside `_Filtered`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow":
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(fullname)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def quiet_exec_module(module):
            del loader.exec_module  # the loader's own method again, for any reload
            with _Filtered():
                exec_module(module)
                try:  # cuInit logs at the first device discovery: let it happen in here
                    module.config.list_physical_devices("GPU")
                except Exception:  # noqa: BLE001 -- the caller's own discovery reports it
                    pass

        try:
            loader.exec_module = quiet_exec_module
        except (AttributeError, TypeError):  # a loader without instance attributes: as it is
            pass
        return spec


class _Filtered:
    """File descriptor 2 goes through `_FILTER` inside the block; nothing is lost if the filter
    cannot start (the log then shows, as without zoo)."""

    def __enter__(self):
        import subprocess

        self.saved = self.filter = None
        if sys.stderr is not None:
            sys.stderr.flush()
        try:
            self.saved = os.dup(2)
            self.filter = subprocess.Popen([sys.executable, "-I", "-S", "-c", _FILTER],
                                           stdin=subprocess.PIPE, stdout=self.saved)
            os.dup2(self.filter.stdin.fileno(), 2)
        except (OSError, ValueError):
            self._restore()
        return self

    def __exit__(self, *exc):
        if sys.stderr is not None:
            sys.stderr.flush()
        self._restore()

    def _restore(self):
        import subprocess

        if self.saved is not None:
            os.dup2(self.saved, 2)
            os.close(self.saved)
            self.saved = None
        if self.filter is not None:
            self.filter.stdin.close()  # end of input: the filter passes on what is left, exits
            try:  # its lines come out before whatever the command prints next
                self.filter.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.filter = None
