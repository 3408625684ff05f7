#!/usr/bin/env bash
# Prepare the wheels bench/gpu_check.py needs on an offline GPU machine with another Python.
#
# Why: the GPU machine has no network and runs Python 3.12 (a CUDA torch 2.11, transformers 5.17 and peft
# installed; no vLLM, no bitsandbytes), while this machine runs 3.11. pip downloads binary wheels for the
# target's interpreter and platform here; there they install with --no-index. Torch, transformers and peft
# are never downloaded (nothing in bench/gpu_check_requirements.txt depends on them), and the folder must
# stay under the 64 MiB carry limit together with the repository (checked below).
#
# Here (PyPI reachable), from the repository root:
#     bash bench/gpu_check_wheels.sh            # -> var/gpu_check_wheels/*.whl
# There (carry var/gpu_check_wheels), from the repository root:
#     python -m pip install --no-index --find-links var/gpu_check_wheels -r bench/gpu_check_requirements.txt \
#         && python bench/gpu_check.py --json --out "$OUT/gpu_check.json"
set -euo pipefail
cd "$(dirname "$0")/.."
DEST="${1:-var/gpu_check_wheels}"
PY_VERSION="${GPU_CHECK_PYTHON:-3.12}"
PIP="${PIP:-.venv/bin/python -m pip}"
LIMIT_MIB=48   # leaves room for the repository itself inside the 64 MiB carry
rm -rf "$DEST" && mkdir -p "$DEST"
# PIP_CONFIG_FILE=/dev/null: only PyPI, never a local wheel folder configured for this machine's Python.
PIP_CONFIG_FILE=/dev/null $PIP download --quiet --dest "$DEST" --only-binary=:all: \
    --python-version "$PY_VERSION" --implementation cp --abi "cp${PY_VERSION/./}" --abi abi3 --abi none \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform any ${PIP_CERT:+--cert "$PIP_CERT"} -r bench/gpu_check_requirements.txt
if ls "$DEST" | grep -Eiq '^(torch|transformers|peft|triton)-|^nvidia_(cu|nccl)'; then
    echo "refusing: a CUDA/torch package was pulled into $DEST" >&2; exit 1
fi
size_kib=$(du -sk "$DEST" | cut -f1)
echo "$(ls "$DEST" | wc -l) wheels, $((size_kib / 1024)) MiB in $DEST"
if [ "$size_kib" -gt $((LIMIT_MIB * 1024)) ]; then
    echo "refusing: over ${LIMIT_MIB} MiB" >&2; exit 1
fi
