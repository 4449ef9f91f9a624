"""`zoo tune --workers N`: keras-tuner's chief/worker mode on this machine, kept alive.

The chief process serves the oracle over gRPC (`KERASTUNER_ORACLE_IP`/`_PORT`); each worker
(`KERASTUNER_TUNER_ID=tuner0..`) asks it for trials. A worker killed mid-trial leaves its trial
"running" and the chief waits for that tuner id to come back, so the launcher restarts a dead
worker under the same id; keras-tuner then hands it the same trial again.

Security: the chief's gRPC port has no TLS and no authentication. It binds to 127.0.0.1 unless
the user passes another `--oracle-address`, and then zoo says so.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_RESTARTS = 3  # per worker: a worker that keeps crashing is a bug, not a preemption
CHIEF_EXIT_GRACE_S = 60  # keras-tuner's chief checks for its exit every 20 s


def _free_port(address: str) -> int:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def _wait_for_port(address: str, port: int, chief, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if chief.poll() is not None:
            raise RuntimeError(f"zoo tune: the chief exited (code {chief.returncode}) before "
                               "serving its oracle")
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"zoo tune: the chief did not open {address}:{port} in {timeout:.0f} s")


def child_command(args) -> list[str]:
    """The same `zoo tune` request for one chief or worker process."""
    cmd = [sys.executable, "-m", "zoo", "tune", args.name, "--tuner", args.tuner,
           "--max-trials", str(args.max_trials), "--epochs", str(args.epochs),
           "--out", str(args.out), "--seed", str(args.seed)]
    if args.data:
        cmd += ["--data", args.data]
    if args.objective:
        cmd += ["--objective", args.objective]
    for item in args.fix or []:
        cmd += ["--fix", item]
    for item in args.range or []:
        cmd += ["--range", item]
    return cmd


def launch(args, stream=None) -> int:
    """Run a chief and `args.workers` workers until every trial is done; return the exit code."""
    stream = stream or sys.stdout
    if isinstance(args.workers, bool) or not isinstance(args.workers, int) or args.workers < 1:
        raise ValueError(f"zoo tune: --workers must be an int >= 1, got {args.workers!r}")
    address = args.oracle_address
    if address not in LOOPBACK:
        print(f"zoo tune: WARNING: the oracle listens on {address} without TLS or "
              "authentication; anyone who can reach that port can read and steer the search",
              file=sys.stderr, flush=True)
    out = Path(args.out)
    if args.overwrite and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port(address)
    cmd = child_command(args)
    env = {**os.environ, "KERASTUNER_ORACLE_IP": address, "KERASTUNER_ORACLE_PORT": str(port)}

    def start(tuner_id):
        return subprocess.Popen(cmd, env={**env, "KERASTUNER_TUNER_ID": tuner_id})

    chief = start("chief")
    workers, restarts, done = {}, {}, set()
    try:
        _wait_for_port(address, port, chief)
        print(f"zoo tune: chief serving on {address}:{port}; starting {args.workers} worker(s)",
              file=stream, flush=True)
        for i in range(args.workers):
            workers[f"tuner{i}"] = start(f"tuner{i}")
            restarts[f"tuner{i}"] = 0
        _write_pids(out, chief, workers)
        while chief.poll() is None:
            for tuner_id, proc in list(workers.items()):
                code = proc.poll()
                if code is None or tuner_id in done:
                    continue
                if code == 0:
                    done.add(tuner_id)
                elif restarts[tuner_id] < MAX_RESTARTS:
                    restarts[tuner_id] += 1
                    print(f"zoo tune: worker {tuner_id} exited with code {code}; restarting it "
                          f"({restarts[tuner_id]}/{MAX_RESTARTS}) to finish its trial",
                          file=stream, flush=True)
                    workers[tuner_id] = start(tuner_id)
                    _write_pids(out, chief, workers)
                else:
                    raise RuntimeError(f"zoo tune: worker {tuner_id} failed {MAX_RESTARTS + 1} "
                                       f"times (last exit code {code}); stopping the search")
            if len(done) == len(workers):
                chief.wait(timeout=CHIEF_EXIT_GRACE_S)
            time.sleep(0.3)
        return chief.returncode
    finally:
        for proc in [chief, *workers.values()]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _write_pids(out: Path, chief, workers) -> None:
    from zoo.export.saving import write_text

    pids = {"chief": chief.pid, **{k: p.pid for k, p in workers.items()}}
    write_text(out / "workers.json", json.dumps(pids) + "\n")


def role() -> str | None:
    """'chief', a worker's tuner id, or None when this process is not part of a distributed run."""
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return None
    return os.environ.get("KERASTUNER_TUNER_ID")
