#!/usr/bin/env bash
# GPU smoke test: on a machine with JAX (CUDA), PyTorch and timm but no TensorFlow and no
# internet, install the carried wheels (benchmarks/fetch_wheels.sh fills wheels/ beforehand,
# where PyPI is reachable) and zoo itself, then train one small model of each zoo family for a
# few steps under KERAS_BACKEND=jax: one line per family (steps/s, final loss, device).
#
#   bash benchmarks/gpu_smoke.sh [benchmarks/gpu_smoke.py options, e.g. --steps 50]
#   bash benchmarks/gpu_smoke.sh && python -m benchmarks.gpu_finetune_vs_timm   # all of it
#
# ZOO_WHEELS=folder picks another wheel folder; ZOO_ALLOW_CPU=1 lets it run where JAX sees no
# GPU (to check this script itself on a CPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
wheels=${ZOO_WHEELS:-wheels}
export KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=3

python -c "import jax" 2>/dev/null || { echo "gpu_smoke: JAX is not installed" >&2; exit 2; }
if ! python -c "import keras, sys; from packaging.version import Version as V; sys.exit(V(keras.__version__) < V('3.15.1'))" 2>/dev/null; then
  [ -d "$wheels" ] || { echo "gpu_smoke: no Keras here and no $wheels/ folder;" \
                          "run benchmarks/fetch_wheels.sh where PyPI is reachable" >&2; exit 2; }
  # pip takes each requirement already installed as it is, and the missing ones from $wheels
  python -m pip install --no-index --find-links "$wheels" "$(ls "$wheels"/keras-*.whl | head -1)"
fi
# zoo itself, editable and without its TensorFlow-side requirements; setuptools and wheel for
# the build come from $wheels too, so nothing is downloaded
if ! python -m pip install --no-index --find-links "$wheels" --no-deps -e . >/dev/null; then
  echo "gpu_smoke: pip could not install zoo; using it from $PWD through PYTHONPATH" >&2
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi

backend=$(python -c "import jax; print(jax.default_backend())")
if [ "$backend" != "gpu" ] && [ "${ZOO_ALLOW_CPU:-0}" != "1" ]; then
  echo "gpu_smoke: JAX runs on $backend, not a GPU (ZOO_ALLOW_CPU=1 to go on anyway)" >&2
  exit 2
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L || true
python -m benchmarks.gpu_smoke "$@"
