#!/usr/bin/env bash
# Redraws docs/hparams.png, the README's picture of the HPARAMS tab: experiment B shrunk to 100 steps, TensorBoard
# on a free port, and a headless Chromium's screenshot of its HPARAMS tab (1800 x 400).
#   bash docs/hparams_png.sh            # needs .venv (make install) and chromium (apt-get install chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
work=$(mktemp -d)
trap 'kill "${board:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
"$PY" train.py experiment=compare_optimizers trainer.max_steps=100 hydra.sweep.dir="$work/sweep" \
    trainer.enable_progress_bar=false > "$work/train.log" 2>&1
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$(dirname "$PY")/tensorboard" --logdir "$work/sweep" --host 127.0.0.1 --port "$port" > "$work/board.log" 2>&1 &
board=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/data/plugin/hparams/experiment" -o /dev/null \
    -H 'X-XSRF-Protected: 1' --data '{"experimentName": ""}' && break; sleep 1; done
chromium --headless --no-sandbox --hide-scrollbars --window-size=1800,400 --virtual-time-budget=15000 \
    --screenshot="$PWD/docs/hparams.png" "http://127.0.0.1:$port/#hparams" 2> "$work/chromium.log"
echo "docs/hparams.png redrawn from $(ls "$work/sweep" | grep -c '^[0-9]') jobs"
