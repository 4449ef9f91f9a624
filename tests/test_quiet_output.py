"""The `zoo` command prints zoo's lines, not TensorFlow's C++ start-up log; real errors still show
(zoo/_quiet_startup.py)."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

ZOO = shutil.which("zoo")
MARKERS = ("oneDNN custom operations", "absl::InitializeLog", "cuda drivers", "cuInit")


def _env(**extra):
    # as a user's shell: none of the settings the suite (conftest.py) or zoo itself exports
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "ZOO_DEBUG", "ZOO_QUIET_TF_LOG")}
    return {**env, **extra}


def _markers(text):
    return [m for m in MARKERS if m in text]


def test_zoo_info_shows_no_tensorflow_startup_log():
    runs = {  # three TensorFlow imports at once
        "tensorflow": ([sys.executable, "-c", "import tensorflow"], _env()),
        "debug": ([ZOO, "info", "mlp"], _env(ZOO_DEBUG="1")),
        "quiet": ([ZOO, "info", "mlp"], _env()),
    }
    procs = {k: subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for k, (cmd, env) in runs.items()}
    out = {k: p.communicate(timeout=300) + (p.returncode,) for k, p in procs.items()}

    stdout, stderr, rc = out["quiet"]
    assert rc == 0, stderr
    assert "family       dense" in stdout and "defaults:" in stdout
    assert _markers(stdout + stderr) == [], stderr

    stdout, stderr, rc = out["debug"]
    assert rc == 0, stderr
    assert "family       dense" in stdout
    bare = _markers(out["tensorflow"][1])  # what TensorFlow prints here without zoo
    assert set(bare) <= set(_markers(stderr)), stderr  # ZOO_DEBUG=1 leaves TensorFlow's log alone
    if not bare:
        pytest.skip("TensorFlow prints no start-up log on this machine: nothing to hide")


def test_unknown_model_is_an_error_on_stderr():
    proc = subprocess.run([ZOO, "info", "no_such_model"], env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert "zoo info: error:" in proc.stderr and "no_such_model" in proc.stderr
    assert proc.stdout == ""


# A stand-in `tensorflow` that logs as TensorFlow 2.21 does on a CPU machine, plus a real error
# and a Python warning, and then imports, raises ImportError or aborts: the filter's cases in a
# fraction of a second.
FAKE_TENSORFLOW = textwrap.dedent("""\
    import os, sys, types, warnings
    os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written "
                b"to STDERR\\n")
    os.write(2, b"I0000 00:00:1796206584.744432    4978 port.cc:153] oneDNN custom operations "
                b"are on.\\n")
    os.write(2, b"I0000 00:00:1796206584.745052    4978 cudart_stub.cc:31] Could not find cuda "
                b"drivers on your machine, GPU will not be used.\\n")
    os.write(2, b"E0000 00:00:1796206585.000000    4978 loader.cc:7] a real C++ error\\n")
    warnings.warn("a Python warning")
    mode = os.environ.get("FAKE_TF")
    if mode == "import_error":
        raise ImportError("broken tensorflow build")
    if mode == "abort":
        os.write(2, b"F0000 00:00:1796206585.100000    4978 loader.cc:9] Check failed: x\\n")
        os.abort()

    _discovered = []

    def list_physical_devices(kind=None):
        if not _discovered:  # once, at the first discovery
            _discovered.append(kind)
            os.write(2, b"E0000 00:00:1796206586.000000    4978 cuda_platform.cc:52] failed "
                        b"call to cuInit: INTERNAL: CUDA error: UNKNOWN ERROR (303)\\n")
        return []

    config = types.SimpleNamespace(list_physical_devices=list_physical_devices)
    """)

# the CLI starts (the quiet set-up is main's), then a command imports TensorFlow and goes on
CLI_THEN_IMPORT = textwrap.dedent("""\
    import os
    from zoo import cli
    assert cli.main(["list", "mlp"]) == 0
    import tensorflow
    tensorflow.config.list_physical_devices("GPU")
    os.write(2, b"after the import\\n")
    """)


def _with_fake_tensorflow(tmp_path, script, **env):
    (tmp_path / "tensorflow").mkdir(parents=True)
    (tmp_path / "tensorflow" / "__init__.py").write_text(FAKE_TENSORFLOW)
    env = _env(PYTHONPATH=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=60)


def test_filter_hides_startup_log_and_keeps_errors_and_warnings(tmp_path):
    proc = _with_fake_tensorflow(tmp_path, CLI_THEN_IMPORT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("mlp ")
    assert _markers(proc.stderr) == [], proc.stderr
    assert "a real C++ error" in proc.stderr and "UserWarning: a Python warning" in proc.stderr
    assert proc.stderr.rstrip().endswith("after the import")  # stderr is the terminal again


def test_import_error_and_crash_during_the_import_still_show(tmp_path):
    proc = _with_fake_tensorflow(tmp_path, CLI_THEN_IMPORT, FAKE_TF="import_error")
    assert proc.returncode == 1
    assert "ImportError: broken tensorflow build" in proc.stderr
    assert "a real C++ error" in proc.stderr and _markers(proc.stderr) == []

    proc = _with_fake_tensorflow(tmp_path / "abort", CLI_THEN_IMPORT, FAKE_TF="abort")
    assert proc.returncode != 0
    # the filter outlives the crashed process: the fatal message still reaches stderr
    assert "Check failed: x" in proc.stderr and "a real C++ error" in proc.stderr


@pytest.mark.parametrize("env", [{"ZOO_DEBUG": "1"}, {"TF_CPP_MIN_LOG_LEVEL": "0"}],
                         ids=["zoo_debug", "users_level"])
def test_debug_or_users_own_level_leave_tensorflows_log_alone(tmp_path, env):
    proc = _with_fake_tensorflow(tmp_path, CLI_THEN_IMPORT, **env)
    assert proc.returncode == 0, proc.stderr
    assert _markers(proc.stderr) == list(MARKERS)


def test_the_library_leaves_the_logging_environment_alone(tmp_path):
    script = ("import os, zoo, zoo.registry, tensorflow\n"
              "tensorflow.config.list_physical_devices('GPU')\n"
              "assert 'TF_CPP_MIN_LOG_LEVEL' not in os.environ\n")
    proc = _with_fake_tensorflow(tmp_path, script)
    assert proc.returncode == 0, proc.stderr
    assert _markers(proc.stderr) == list(MARKERS)
