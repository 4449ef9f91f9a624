"""The README's promises: two set-up commands, and the main one actually runs offline."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _block(marker):
    match = re.search(rf"<!-- ci:{marker} -->\s*```\n(.*?)\n```\s*<!-- /ci:{marker} -->",
                      README, re.S)
    assert match, f"README.md lacks the <!-- ci:{marker} --> command block"
    return match.group(1).strip()


def test_readme_has_exactly_two_setup_commands():
    main, test = _block("main"), _block("test")
    assert main.startswith("pip install -e . && zoo train ")
    assert test.startswith('pip install -e ".[test]" && ') and "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert "ci:test" in ci, ".ci/run must run the README's test command"


def test_readme_main_job_runs(tmp_path):
    """The main command minus its install step, in a scratch folder, with fewer epochs."""
    command = _block("main").split("&&", 1)[1].strip()
    args = command.split()[1:]  # drop the `zoo` program name
    args[args.index("--epochs") + 1] = "2"
    proc = subprocess.run([sys.executable, "-m", "zoo", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "test: " in proc.stdout
    out = tmp_path / args[args.index("--out") + 1]
    assert (out / "model.keras").is_file() and (out / "curves.png").is_file()


def test_readme_quick_start_runs_and_its_comments_are_true(tmp_path, monkeypatch):
    code = re.search(r"## Quick start\s*```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README quick start", "exec"), namespace)
    zoo = namespace["zoo"]
    assert zoo.list_models("mlp*") == ["mlp", "mlp_regressor"]
    params = int(re.search(r'model_info\("mlp"\)\["params"\]\s*# (\d+)', code).group(1))
    assert zoo.model_info("mlp")["params"] == params
    assert (tmp_path / "mlp.keras").is_file()
    assert namespace["model"].name == "mlp"


def _python_block(marker):
    match = re.search(rf"<!-- readme:{marker} -->\s*```python\n(.*?)```\s*<!-- /readme:{marker} -->",
                      README, re.S)
    assert match, f"README.md lacks the <!-- readme:{marker} --> code block"
    return match.group(1)


def test_readme_keras_script_saves_and_plain_keras_loads_it(tmp_path):
    """The README's own-Keras-script paragraph, run as written: one process trains and saves with
    Keras, a second one imports only zoo and keras and loads it with keras.saving.load_model."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    train = subprocess.run([sys.executable, "-c", _python_block("keras-train")], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300, env=env)
    assert train.returncode == 0, train.stderr[-2000:]
    trained = ast.literal_eval(train.stdout.strip().splitlines()[-1])
    assert trained["accuracy"] > 0.9, trained  # a short plain fit must give a usable model
    check = ("\nfrom sklearn.datasets import load_digits\n"
             "digits = load_digits()\n"
             "x, y = digits.images[..., None] / 16.0, digits.target\n"
             "print(model.evaluate(x[1400:], y[1400:], verbose=0, return_dict=True))\n")
    load = subprocess.run([sys.executable, "-c", _python_block("keras-load") + check],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert load.returncode == 0, load.stderr[-2000:]
    loaded = ast.literal_eval(load.stdout.strip().splitlines()[-1])
    assert abs(loaded["accuracy"] - trained["accuracy"]) < 1e-6, (loaded, trained)
