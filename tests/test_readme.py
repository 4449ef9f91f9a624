"""The README's promises: two set-up commands, and the main one actually runs offline."""

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
