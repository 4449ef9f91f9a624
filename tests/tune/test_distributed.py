"""`zoo tune --workers 2`: a chief and two workers on loopback finish every trial exactly once,
even when a worker is killed mid-trial (the launcher restarts it under the same tuner id)."""

import collections
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from zoo.tune.distributed import child_command


def _events(out):
    path = out / "trials.log"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.slow
def test_two_workers_finish_all_trials_once_despite_a_killed_worker(tmp_path):
    out = tmp_path / "search"
    command = [sys.executable, "-m", "zoo", "tune", "mlp", "--workers", "2", "--max-trials",
               "4", "--epochs", "6", "--out", str(out)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    launcher = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    killed = None
    deadline = time.time() + 240
    while killed is None and time.time() < deadline and launcher.poll() is None:
        begun = [e for e in _events(out) if e[0] == "begin"]
        ended = {e[1] for e in _events(out) if e[0] == "end"}
        running = [e for e in begun if e[1] not in ended]
        if running and (out / "workers.json").exists():
            trial_id, tuner_id = running[0][1], running[0][2]
            pid = json.loads((out / "workers.json").read_text())[tuner_id]
            os.kill(pid, signal.SIGKILL)
            killed = (trial_id, tuner_id)
        time.sleep(0.05)
    assert killed is not None, "no trial was seen running"
    output, _ = launcher.communicate(timeout=400)
    assert launcher.returncode == 0, output[-3000:]
    assert f"worker {killed[1]} exited with code -9; restarting it" in output

    events = _events(out)
    ends = collections.Counter(e[1] for e in events if e[0] == "end" and e[2] == "completed")
    begins = collections.Counter(e[1] for e in events if e[0] == "begin")
    assert set(ends) == {"0", "1", "2", "3"} and set(ends.values()) == {1}, events
    assert begins[killed[0]] == 2, events  # the killed trial ran again, under the same id
    assert all(n == 1 for t, n in begins.items() if t != killed[0]), events
    assert {e[-1] for e in events if e[0] == "end"} == {"tuner0", "tuner1"}
    best = json.loads((out / "best.json").read_text())
    assert best["trials"] == {"completed": 4, "total": 4}


def test_child_command_repeats_the_request_without_workers():
    class Args:
        name, tuner, max_trials, epochs, out, seed = "mlp", "random", 3, 2, "o", 0
        data, objective, fix, range = "digits", None, ["dropout=0.1"], None

    cmd = child_command(Args)
    assert cmd[1:5] == ["-m", "zoo", "tune", "mlp"] and "--workers" not in cmd
    assert cmd[cmd.index("--fix") + 1] == "dropout=0.1" and "--data" in cmd


def test_non_loopback_address_is_warned_about(tmp_path, capsys):
    from zoo.tune.distributed import launch

    class Args:
        name, tuner, max_trials, epochs, out, seed = "mlp", "random", 1, 1, tmp_path, 0
        data, objective, fix, range, overwrite = None, None, None, None, False
        workers, oracle_address = 0, "0.0.0.0"

    with pytest.raises(ValueError, match="--workers must be an int >= 1, got 0"):
        launch(Args)
    Args.workers = 1
    Args.oracle_address = "203.0.113.1"  # not ours: binding fails, after the warning
    with pytest.raises(OSError):
        launch(Args)
    assert "without TLS or authentication" in capsys.readouterr().err
