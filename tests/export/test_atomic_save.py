"""SIGKILL at random moments while zoo.save rewrites a model: the file on disk is always the
old complete model or the new complete one, never a torn one."""

import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import zoo

CHILD = textwrap.dedent("""
    import os, sys
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras, zoo
    out = sys.argv[1]
    models = []
    for seed in (1, 2):
        keras.utils.set_random_seed(seed)
        models.append(zoo.build("mlp", hidden_units=(512, 512), input_shape=(16,),
                                num_classes=3))
    zoo.save(models[0], f"{out}/a.keras")
    zoo.save(models[1], f"{out}/b.keras")
    zoo.save(models[0], f"{out}/model.keras")
    print("ready", flush=True)
    i = 0
    while True:  # rewrite the same file for ever, alternating the two models
        i += 1
        zoo.save(models[i % 2], f"{out}/model.keras")
""")


@pytest.mark.slow
def test_sigkill_during_save_never_leaves_a_broken_file(tmp_path):
    rng = random.Random(0)
    x = np.random.default_rng(0).uniform(size=(4, 16)).astype("float32")
    kills = 0
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout.readline().strip() == "ready"
        reference = [zoo.load(tmp_path / n).predict(x, verbose=0) for n in ("a.keras", "b.keras")]
        time.sleep(rng.uniform(0.05, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        y = zoo.load(tmp_path / "model.keras").predict(x, verbose=0)
        assert any(np.allclose(y, r) for r in reference), "model.keras is neither old nor new"
    assert kills == 5
