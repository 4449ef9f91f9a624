"""Data parallelism chosen by one option, `distribute=`, on the real engine of the active backend.

    distribute=None              one device, no strategy (the default)
    distribute="auto"            "data_parallel" when the backend sees more than one device,
                                 else None
    distribute="data_parallel"   TensorFlow: tf.distribute.MirroredStrategy over the logical
                                 GPUs (else the logical CPUs); JAX: keras.distribution.DataParallel
                                 over jax.devices() (every process's, once multi-process)
    distribute="mirrored"        tf.distribute.MirroredStrategy (TensorFlow only)
    distribute="multi_process"   JAX only: this process joins a multi-process (multi-machine) run
                                 through `initialize()` (jax.distributed), then DataParallel over
                                 the devices of every process

`batch_size` is always the global batch: it must be a multiple of the number of replicas, and
each replica computes on `batch_size / replicas` rows of the batch a single device would see, so
losses match single-device training up to float summation order (tested with 2 logical CPUs under
both backends, and with 2 JAX processes on 127.0.0.1).

A strategy owns the variables it mirrors: the model must be built (and compiled) inside the
scope. `zoo.train.run(..., distribute=)` and `zoo train --distribute` open it around build,
compile, fit, evaluate and save; by hand:

    >>> with zoo.train.distribute.scope("auto"):
    ...     model = zoo.build("mlp")
    ...     zoo.train.fit(model, "digits")

A batch that does not divide evenly over the replicas fails on both backends (JAX cannot shard
it; Keras' TensorFlow trainer sums the first batch's per-replica parts to build the model, and
AddN refuses parts of 11 and 10 rows), so while a scope is active the validation and test arrays
lose their last `len % replicas` rows (at most replicas - 1) and evaluation batches are rounded
to a multiple of the replicas; training batches are always full (`EpochBatches` drops the rest).

Several machines. TensorFlow's `MultiWorkerMirroredStrategy` fails inside `model.fit` with Keras
3.15 (keras-team/keras#20585; reproduced here with 2 workers on 127.0.0.1, see
`MULTI_WORKER_MIRRORED_FAILURE`), so zoo refuses it with an error that points to the JAX route:
`KERAS_BACKEND=jax` and `distribute="multi_process"`, each process started with the
coordinator's address, the number of processes and its own id (arguments of `initialize()` or
Keras' variables KERAS_DISTRIBUTION_JOB_ADDRESSES, KERAS_DISTRIBUTION_NUM_PROCESSES,
KERAS_DISTRIBUTION_PROCESS_ID). JAX's CPU collectives (gloo) carry the gradients between CPU
processes. Each process holds only its rows of every batch: its slice of the global batch in
training, its contiguous block of the validation and test sets; NumPy splits only (a tf.data
split is refused under multi_process). Every process computes the same metrics and writes the
same files (atomically), so give processes on one machine one `out` folder or one each.

TensorFlow is imported only under the TensorFlow backend, and JAX only under JAX.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import os
from typing import Any

ALLOWED = (None, "auto", "data_parallel", "mirrored", "multi_process")

# what `distribute="multi_worker_mirrored"` met, with Keras 3.15.1 / TF 2.21, 2 workers on
# 127.0.0.1 (TF_CONFIG), a Dense model built and compiled in the strategy's scope, in model.fit:
MULTI_WORKER_MIRRORED_FAILURE = (
    "ValueError: Attempt to convert a value (PerReplica:{0: <tf.Tensor ...>}) with an unsupported "
    "type (<class 'tensorflow.python.distribute.values.PerReplica'>) to a Tensor.")

# Keras' names for the multi-process settings (keras.distribution.initialize reads the same)
ENV_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
ENV_NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
ENV_PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"


@dataclasses.dataclass(frozen=True)
class Distribution:
    """An active data-parallel engine and how it splits a global batch."""

    kind: str  # "mirrored" (TensorFlow), "data_parallel" or "multi_process" (JAX)
    engine: Any  # tf.distribute.MirroredStrategy or keras.distribution.DataParallel
    replicas: int  # devices over all processes: the global batch is split this many ways
    num_processes: int = 1
    process_id: int = 0

    def scope(self):
        return self.engine.scope()


def _backend() -> str:
    import keras

    return keras.backend.backend()


def check(distribute) -> None:
    """Raise a ValueError for a `distribute` value zoo does not take, saying what it does take."""
    if distribute == "multi_worker_mirrored":
        raise ValueError(
            "zoo.train: distribute='multi_worker_mirrored' is refused: "
            "tf.distribute.MultiWorkerMirroredStrategy fails inside model.fit (Keras 3.15.1, "
            "TF 2.21; upstream keras-team/keras#20585; reproduced with 2 workers on 127.0.0.1: "
            f"{MULTI_WORKER_MIRRORED_FAILURE}). To train on several machines use the JAX "
            "backend: KERAS_BACKEND=jax and distribute='multi_process' (see "
            "zoo.train.distribute.initialize)")
    if distribute not in ALLOWED:
        raise ValueError(f"zoo.train: distribute must be one of {ALLOWED}, got {distribute!r}")
    if distribute is None:
        return
    backend = _backend()
    if backend not in ("tensorflow", "jax"):
        raise ValueError(f"zoo.train: distribute={distribute!r} needs the tensorflow or jax "
                         f"backend, not {backend!r}")
    if distribute == "mirrored" and backend != "tensorflow":
        raise ValueError(f"zoo.train: distribute='mirrored' is tf.distribute.MirroredStrategy, "
                         f"TensorFlow only; under {backend} use 'data_parallel' (or 'auto')")
    if distribute == "multi_process" and backend != "jax":
        raise ValueError(
            f"zoo.train: distribute='multi_process' is JAX's (jax.distributed + "
            f"keras.distribution.DataParallel); under {backend} it is not available (TensorFlow's "
            "MultiWorkerMirroredStrategy fails in fit, keras-team/keras#20585): run with "
            "KERAS_BACKEND=jax, or use 'data_parallel' for the devices of one machine")


def _tf_devices() -> list[str]:
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return [d.name for d in devices]


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, *, timeout: int = 300) -> None:
    """Join this process to a multi-process JAX run (JAX backend only), before any JAX compute.

    Arguments left out are read from KERAS_DISTRIBUTION_JOB_ADDRESSES (the first address is the
    coordinator, "host:port", served by process 0), KERAS_DISTRIBUTION_NUM_PROCESSES and
    KERAS_DISTRIBUTION_PROCESS_ID. The coordinator binds only to its own address (JAX's default
    is every interface), so a run on 127.0.0.1 stays on loopback. A second call is a no-op.
    """
    check("multi_process")
    import jax

    if jax.distributed.is_initialized():
        return
    if coordinator_address is None and os.environ.get(ENV_ADDRESSES):
        coordinator_address = os.environ[ENV_ADDRESSES].split(",")[0].strip()
    if num_processes is None and os.environ.get(ENV_NUM_PROCESSES):
        num_processes = int(os.environ[ENV_NUM_PROCESSES])
    if process_id is None and os.environ.get(ENV_PROCESS_ID):
        process_id = int(os.environ[ENV_PROCESS_ID])
    missing = [name for name, value in ((ENV_ADDRESSES, coordinator_address),
                                        (ENV_NUM_PROCESSES, num_processes),
                                        (ENV_PROCESS_ID, process_id)) if value is None]
    if missing:
        raise ValueError(f"zoo.train: distribute='multi_process' needs the coordinator address, "
                         f"the number of processes and this process's id; set {missing} (or "
                         "pass them to zoo.train.distribute.initialize)")
    if not 0 <= process_id < num_processes:
        raise ValueError(f"zoo.train: process id must be in [0, {num_processes}), "
                         f"got {process_id}")
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id,
                               coordinator_bind_address=coordinator_address,
                               initialization_timeout=timeout)


def _jax_data_parallel(devices=None):
    import jax
    import numpy as np

    import keras

    devices = np.asarray(devices if devices is not None else jax.devices())
    mesh = keras.distribution.DeviceMesh(shape=devices.shape, axis_names=["batch"],
                                         devices=devices)
    # zoo gives each process its own rows (`shard_splits`, `process_rows`), so Keras must not
    return keras.distribution.DataParallel(device_mesh=mesh, auto_shard_dataset=False)


def _describe(engine) -> Distribution:
    if _backend() == "tensorflow":
        import tensorflow as tf

        kind = "mirrored" if isinstance(engine, tf.distribute.MirroredStrategy) else \
            type(engine).__name__
        return Distribution(kind, engine, int(engine.num_replicas_in_sync))
    import jax

    processes = jax.process_count()
    return Distribution("multi_process" if processes > 1 else "data_parallel", engine,
                        int(engine.device_mesh.devices.size), processes, jax.process_index())


def current() -> Distribution | None:
    """The data-parallel scope active now (zoo's or one the user opened), or None."""
    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return _describe(tf.distribute.get_strategy()) if tf.distribute.has_strategy() else None
    if backend == "jax":
        import keras

        engine = keras.distribution.distribution()
        return None if engine is None else _describe(engine)
    return None


def make(distribute, **multi_process) -> Distribution | None:
    """A new engine for `distribute` (not entered), or None for one device.

    `multi_process` holds `initialize()`'s arguments for distribute="multi_process"."""
    check(distribute)
    if distribute is None:
        return None
    if multi_process and distribute != "multi_process":
        raise ValueError(f"zoo.train: {sorted(multi_process)} only go with "
                         f"distribute='multi_process', got distribute={distribute!r}")
    if _backend() == "tensorflow":
        devices = _tf_devices()
        if distribute == "auto" and len(devices) < 2:
            return None
        import tensorflow as tf

        return _describe(tf.distribute.MirroredStrategy(devices))
    if distribute == "multi_process":
        initialize(**multi_process)
    import jax

    if distribute == "auto" and jax.device_count() < 2:
        return None
    return _describe(_jax_data_parallel())


def _compatible(asked, active: Distribution) -> bool:
    if asked in (None, "auto", "data_parallel"):
        return True
    if asked == "mirrored":
        return active.kind == "mirrored"
    return active.kind in ("data_parallel", "multi_process")  # "multi_process" of one process


@contextlib.contextmanager
def scope(distribute="auto", **multi_process):
    """Open the engine for `distribute` and yield its `Distribution` (None for one device).

    Inside an active scope, a compatible `distribute` (or None) joins it; another is an error.
    """
    check(distribute)
    active = current()
    if active is not None:
        if not _compatible(distribute, active):
            raise ValueError(f"zoo.train: distribute={distribute!r} asked inside an active "
                             f"{active.kind!r} scope")
        yield active
        return
    dist = make(distribute, **multi_process)
    if dist is None:
        yield None
        return
    with dist.scope():
        yield dist


def model_distribution(model) -> Distribution | None:
    """The engine `model`'s variables were created under, or None (created on one device)."""
    variables = list(model.variables)
    if not variables:
        return None
    if _backend() == "tensorflow":
        import tensorflow as tf

        if isinstance(variables[0].value, tf.distribute.DistributedValues):
            return _describe(model.distribute_strategy)
        return None
    if _backend() == "jax":
        import jax

        sharding = variables[0].value.sharding
        if isinstance(sharding, jax.sharding.NamedSharding):
            return _describe(_jax_data_parallel(sharding.mesh.devices.reshape(-1)))
    return None


@contextlib.contextmanager
def _model_scope(model, distribute, caller):
    """The scope `model` trains in: the active one, else the one its variables were made in."""
    check(distribute)
    active = current()
    placed = model_distribution(model)
    if active is not None and placed is None:
        raise ValueError(_built_outside(caller, distribute or active.kind))
    target = active or placed
    if target is None:
        if _asks_for_devices(distribute):
            raise ValueError(_built_outside(caller, distribute))
        yield None
        return
    if not _compatible(distribute, target):
        raise ValueError(f"zoo.train: distribute={distribute!r} asked for a model whose "
                         f"variables live in a {target.kind!r} scope")
    if active is not None:
        yield active
        return
    with target.scope():
        yield target


def _asks_for_devices(distribute) -> bool:
    """Whether `distribute` asks for more than one device here (False for None, or "auto" on
    one device; multi_process always counts)."""
    if distribute is None:
        return False
    if distribute != "auto":
        return True
    if _backend() == "tensorflow":
        return len(_tf_devices()) > 1
    import jax

    return jax.device_count() > 1


def _built_outside(caller, distribute) -> str:
    return (f"{caller}: distribute={distribute!r} needs the model built inside the strategy's "
            f"scope (it owns the variables): `with zoo.train.distribute.scope({distribute!r}): "
            f"model = zoo.build(...)`, then fit it there; zoo.train.run(..., distribute=) and "
            "zoo train --distribute do this for you")


def _map_rows(split, take):
    """`take(array)` applied to every array of a split (an (x, y) tuple of arrays or nests)."""
    if split is None:
        return None
    if isinstance(split, (tuple, list)):
        return type(split)(_map_rows(part, take) for part in split)
    if isinstance(split, dict):
        return {key: _map_rows(value, take) for key, value in split.items()}
    return take(split)


def _rows(split) -> int:
    while isinstance(split, (tuple, list, dict)):
        split = next(iter(split.values())) if isinstance(split, dict) else split[0]
    return len(split)


def shard_splits(splits, dist: Distribution):
    """`splits` with the validation and test arrays cut to a multiple of the replicas (a batch
    must split evenly) and, across processes, to this process's contiguous block.

    The training split is left whole: `EpochBatches` keeps every batch full and
    `process_rows` hands each process its slice of each global batch."""
    def cut(split):
        if split is None:
            return None
        if not isinstance(split, tuple):
            if dist.num_processes > 1:
                raise ValueError("zoo.train: distribute='multi_process' takes NumPy splits "
                                 "(zoo.data.load(..., as_numpy=True)); got a tf.data split")
            return split
        block = (_rows(split) // dist.replicas) * dist.replicas // dist.num_processes
        start = dist.process_id * block
        return _map_rows(split, lambda a: a[start:start + block])

    return dataclasses.replace(splits, validation=cut(splits.validation), test=cut(splits.test))


def _process_rows(batches, dist: Distribution):
    import keras

    class ProcessRows(keras.utils.PyDataset):
        """This process's rows of every global batch of an `EpochBatches`."""

        def __init__(self):
            super().__init__()
            self.size = batches.batch_size // dist.num_processes
            self.rows = slice(dist.process_id * self.size, (dist.process_id + 1) * self.size)

        def __len__(self):
            return len(batches)

        def __getitem__(self, index):
            return _map_rows(batches[index], lambda a: a[self.rows])

    return ProcessRows()


def process_rows(batches):
    """`batches` (an `EpochBatches` of global batches) as this process sees it: unchanged on one
    process; across processes, rows [p * b, (p + 1) * b) of each batch, b = batch / processes,
    so the global batch the devices share is the one a single device would see."""
    dist = current()
    if dist is None or dist.num_processes == 1:
        return batches
    return _process_rows(batches, dist)


def _check_batch(batch_size, dist: Distribution, caller):
    if batch_size % dist.replicas:
        raise ValueError(f"{caller}: batch_size must be a multiple of the {dist.replicas} "
                         f"replicas of distribute={dist.kind!r} (it is the global batch), "
                         f"got {batch_size}")


def _load(data):
    if isinstance(data, str):
        import zoo.data

        return zoo.data.load(data, as_numpy=True)
    return data


def distributed_fit(fn):
    """For `zoo.train.fit`: trains in the scope `distribute=` asks for (or the one active, or the
    one the model was built in), with the global `batch_size` checked and the validation split
    fitted to the replicas."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = bound.arguments
        with _model_scope(arguments["model"], arguments["distribute"], "zoo.train.fit") as dist:
            if dist is not None:
                data = arguments["data"] = shard_splits(_load(arguments["data"]), dist)
                if isinstance(data.train, tuple):  # a tf.data split comes batched already
                    _check_batch(arguments["batch_size"], dist, "zoo.train.fit")
            return fn(*bound.args, **bound.kwargs)

    return wrapper


def distributed_evaluate(fn):
    """For `zoo.train.evaluate`: in the active scope (or the one the model was built in), the
    split fitted to the replicas and the batch rounded down to a multiple of them (then divided
    by the processes: Keras' batch is each process's)."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = bound.arguments
        with _model_scope(arguments["model"], None, "zoo.train.evaluate") as dist:
            if dist is not None:
                arguments["data"] = shard_splits(arguments["data"], dist)
                batch = max(dist.replicas,
                            arguments["batch_size"] // dist.replicas * dist.replicas)
                arguments["batch_size"] = batch // dist.num_processes
            return fn(*bound.args, **bound.kwargs)

    return wrapper


def distributed_run(fn):
    """For `zoo.train.run`: the whole run (build, compile, fit, evaluate, save) inside the scope
    that its `distribute=` argument names."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        with scope(bound.arguments["distribute"]):
            return fn(*bound.args, **bound.kwargs)

    return wrapper
