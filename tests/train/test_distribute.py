"""Data parallelism trains what one device trains: the losses of a few steps of an MLP on 2
devices (TensorFlow: MirroredStrategy on 2 logical CPUs; JAX: DataParallel on 2 host devices;
JAX: 2 processes on 127.0.0.1) match single-device training with the same seed and global batch.

Each backend set-up needs a fresh interpreter (logical devices and XLA's device count are fixed at
start-up), so the jobs start together in subprocesses when the first test asks and each test
reads its job's JSON.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import zoo
from zoo import cli
from zoo.train import distribute

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARK = "RESULT "

# shared by every job: a tiny data set (64 training rows: 4 steps of 16 per epoch; 21 test rows
# do not split over 2 devices), and single-device or distributed training of an MLP without dropout
COMMON = """
import contextlib, json, sys, tempfile
import numpy as np
import keras, zoo, zoo.data, zoo.train
from zoo.train import distribute
from zoo.train.run import run

def tiny_splits():
    rng = np.random.default_rng(0)
    def part(n):
        return rng.uniform(size=(n, 8, 8)).astype("float32"), rng.integers(0, 10, n).astype("int32")
    return zoo.data.Splits(train=part(64), validation=part(20), test=part(21), info={
        "name": "tiny", "task": "classification", "num_classes": 10, "input_shape": (8, 8),
        "class_names": None})

MODEL = {"hidden_units": (16,), "dropout": 0.0}

def fit_history(scope=None, distribute_after=None):
    keras.utils.set_random_seed(0)
    with distribute.scope(scope) if scope else contextlib.nullcontext():
        model = zoo.build("mlp", **MODEL)
    history = zoo.train.fit(model, tiny_splits(), epochs=3, batch_size=16, verbose=0,
                            distribute=distribute_after)
    splits = tiny_splits()
    first_20 = zoo.data.Splits(splits.train, splits.validation,
                               tuple(a[:20] for a in splits.test), splits.info)
    return {"test": zoo.train.evaluate(model, splits),
            "test_first_20": zoo.train.evaluate(model, first_20),
            **{k: [float(v) for v in vs] for k, vs in history.history.items()}}

def run_history(distribute_name, out, **kwargs):
    result = run("mlp", data=tiny_splits(), epochs=3, batch_size=16, out=out,
                           overrides=dict(MODEL), distribute=distribute_name, verbose=0, **kwargs)
    placed = distribute.model_distribution(result.model)
    return {"history": {k: result.history[k] for k in ("loss", "val_loss")},
            "test": result.metrics, "kind": placed and placed.kind,
            "replicas": placed and placed.replicas}

def error_of(call):
    try:
        call()
    except ValueError as err:
        return str(err)
    return None

def report(result):
    print("RESULT " + json.dumps(result), flush=True)
"""

TENSORFLOW_JOB = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
""" + COMMON + """
result = {"devices": len(tf.config.list_logical_devices("CPU")), "single": fit_history()}
result["run"] = run_history("auto", tempfile.mkdtemp(), tensorboard=False)
outside = zoo.build("mlp", **MODEL)
result["built_outside"] = error_of(lambda: zoo.train.fit(outside, tiny_splits(), epochs=1,
                                                         distribute="mirrored", verbose=0))
with distribute.scope("mirrored"):
    model = zoo.build("mlp", **MODEL)
    result["odd_batch"] = error_of(lambda: zoo.train.fit(model, tiny_splits(), batch_size=15,
                                                         epochs=1, verbose=0))
report(result)
"""

# as on machines without TensorFlow (Keras' set_random_seed would import it when present)
NO_TENSORFLOW = """
import sys
sys.modules["tensorflow"] = None
"""

JAX_JOB = NO_TENSORFLOW + COMMON + """
import jax
result = {"devices": jax.device_count(), "single": fit_history()}
# built in the scope, trained and evaluated after it closed: on the model's mesh again
result["data_parallel"] = fit_history(scope="data_parallel", distribute_after="auto")
result["mirrored"] = error_of(lambda: distribute.check("mirrored"))
outside = zoo.build("mlp", **MODEL)
result["built_outside"] = error_of(lambda: zoo.train.fit(outside, tiny_splits(), epochs=1,
                                                         distribute="data_parallel", verbose=0))
report(result)
"""

# one of 2 processes; the coordinator address, process count and id come from Keras' variables
MULTI_PROCESS_JOB = NO_TENSORFLOW + COMMON + """
import jax, os
result = run_history("multi_process", sys.argv[1])
result.update(processes=jax.process_count(), process_id=jax.process_index())
report(result)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(script, env, *args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "ZOO_JIT_COMPILE": "0", **env}
    return subprocess.Popen([sys.executable, "-c", script, *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Jobs:
    """The subprocesses, started together (they share the cores while pytest waits)."""

    def __init__(self, tmp):
        # XLA on: JAX without jit runs op by op (the suite's ZOO_JIT_COMPILE=0 is for TensorFlow)
        jax = {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "ZOO_JIT_COMPILE": "1"}
        port = _free_port()
        self.procs = {
            "tensorflow": _start(TENSORFLOW_JOB, {"KERAS_BACKEND": "tensorflow",
                                                  "CUDA_VISIBLE_DEVICES": ""}),  # CPUs only
            "jax": _start(JAX_JOB, {**jax,
                                    "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}),
        }
        for pid in (0, 1):
            self.procs[f"process{pid}"] = _start(MULTI_PROCESS_JOB, {
                **jax, "XLA_FLAGS": "", distribute.ENV_ADDRESSES: f"127.0.0.1:{port}",
                distribute.ENV_NUM_PROCESSES: "2", distribute.ENV_PROCESS_ID: str(pid)},
                str(tmp / f"process{pid}"))
        self.results = {}

    def result(self, name, timeout=300):
        if name not in self.results:
            proc = self.procs[name]
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                pytest.fail(f"{name} job ran past {timeout} s:\n{err[-3000:]}")
            lines = [line for line in out.splitlines() if line.startswith(MARK)]
            assert proc.returncode == 0 and lines, f"{name} job failed:\n{err[-3000:]}"
            self.results[name] = json.loads(lines[-1][len(MARK):])
        return self.results[name]

    def close(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    started = Jobs(tmp_path_factory.mktemp("distribute"))
    yield started
    started.close()


def _same_losses(distributed, single, keys=("loss", "val_loss")):
    for key in keys:
        np.testing.assert_allclose(distributed[key], single[key], rtol=1e-5, atol=1e-6,
                                   err_msg=key)
    assert single["loss"][-1] < single["loss"][0]  # it trained: the comparison means something


def test_mirrored_strategy_matches_one_device(jobs):
    result = jobs.result("tensorflow")
    assert result["devices"] == 2
    run = result["run"]  # zoo.train.run(distribute="auto") on 2 logical CPUs
    assert (run["kind"], run["replicas"]) == ("mirrored", 2)
    _same_losses(run["history"], result["single"])
    assert "built inside the strategy's scope" in result["built_outside"]
    assert "multiple of the 2 replicas" in result["odd_batch"]


def test_jax_data_parallel_matches_one_device(jobs):
    result = jobs.result("jax")
    assert result["devices"] == 2
    _same_losses(result["data_parallel"], result["single"])
    # 21 test rows do not split over 2 devices: evaluated on the first 20
    assert result["data_parallel"]["test"] == pytest.approx(result["single"]["test_first_20"],
                                                            rel=1e-5)
    assert "TensorFlow only" in result["mirrored"] and "'data_parallel'" in result["mirrored"]
    assert "built inside the strategy's scope" in result["built_outside"]


def test_jax_two_processes_on_loopback_match_one_device(jobs):
    first, second = jobs.result("process0"), jobs.result("process1")
    single = jobs.result("jax")["single"]
    for pid, result in enumerate((first, second)):
        assert (result["processes"], result["process_id"]) == (2, pid)
        assert (result["kind"], result["replicas"]) == ("multi_process", 2)
        _same_losses(result["history"], single)
    # each process evaluates its 10 of the first 20 test rows; the metrics are global
    assert first["test"] == pytest.approx(second["test"], rel=1e-6)
    assert first["test"] == pytest.approx(jobs.result("jax")["single"]["test_first_20"], rel=1e-5)


def test_shards_are_contiguous_blocks_of_a_multiple_of_the_replicas():
    rows = np.arange(23)
    splits = zoo.data.Splits(train=(rows, rows), validation=(rows[:21], rows[:21]),
                             test=((rows, rows), rows), info={
                                 "name": "rows", "task": "classification", "num_classes": 2,
                                 "input_shape": (), "class_names": None})
    dist = distribute.Distribution("multi_process", None, replicas=4, num_processes=2,
                                   process_id=1)
    shard = distribute.shard_splits(splits, dist)
    assert shard.train[0] is rows  # batches are cut per step (process_rows), not here
    np.testing.assert_array_equal(shard.validation[0], np.arange(10, 20))  # 21 -> 20 -> 2nd half
    np.testing.assert_array_equal(shard.test[0][1], np.arange(10, 20))  # nested inputs too


def test_bad_values_name_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"distribute must be one of \(None, 'auto', "
                                         r"'data_parallel', 'mirrored', 'multi_process'\), "
                                         r"got 'mirorred'"):
        distribute.check("mirorred")
    with pytest.raises(ValueError, match="got True"):
        zoo.train.fit(zoo.build("mlp", hidden_units=(4,)), "digits", distribute=True)


def test_multi_worker_mirrored_is_refused_with_the_reason_and_the_jax_route(capsys):
    with pytest.raises(ValueError) as err:
        distribute.check("multi_worker_mirrored")
    for words in ("MultiWorkerMirroredStrategy fails inside model.fit", "keras-team/keras#20585",
                  "PerReplica", "KERAS_BACKEND=jax", "distribute='multi_process'"):
        assert words in str(err.value)
    with pytest.raises(ValueError, match="MultiWorkerMirroredStrategy fails in fit"):
        distribute.check("multi_process")  # the test process runs TensorFlow
    assert cli.main(["train", "mlp", "--distribute", "multi_worker_mirrored"]) == 2
    assert "keras-team/keras#20585" in capsys.readouterr().err
