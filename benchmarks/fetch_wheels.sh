#!/usr/bin/env bash
# Fill wheels/ (git-ignored) with what benchmarks/gpu_smoke.sh installs on a GPU machine that has
# JAX, PyTorch and timm but no TensorFlow and no internet: Keras and the requirements such a
# machine may lack, pinned to the versions installed here, plus setuptools and wheel so that
# `pip install -e .` of zoo builds offline. Run it here (PyPI reachable), carry wheels/ along.
#
#   bash benchmarks/fetch_wheels.sh [folder]         # default: wheels/
#   PYTHON_VERSIONS="3.11" bash benchmarks/fetch_wheels.sh   # compiled wheels for one CPython
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-wheels}
mkdir -p "$dest"

version() {  # the installed version of distribution $1
  python -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$1"
}

# pure Python (py3-none-any): keras, and its requirements that JAX and PyTorch do not bring
pure=()
for dist in keras namex absl-py rich markdown-it-py mdurl pygments packaging typing_extensions \
            setuptools wheel; do
  pure+=("$dist==$(version "$dist")")
done
python -m pip download --no-deps --only-binary=:all: -d "$dest" "${pure[@]}"

# compiled: one wheel per CPython version the GPU machine may run (its `python -V`)
for py in ${PYTHON_VERSIONS:-3.10 3.11 3.12 3.13}; do
  python -m pip download --no-deps --only-binary=:all: -d "$dest" --python-version "$py" \
    --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
    "optree==$(version optree)" "h5py==$(version h5py)"
done
du -sh "$dest"
