#!/usr/bin/env bash
# Device check (issue 23): the GPU's name, then the trainer benchmark and the KDE benchmark run on the
# GPU and again on the CPU (CUDA_VISIBLE_DEVICES= ) in the same run, with GPU/CPU ratios.
# Installs nothing: set up first with `pip install .[gpu]` (TensorFlow with CUDA). Without a GPU it runs
# the benchmarks once on the CPU and says "no GPU".
# Usage: benchmarks/device_check.sh [python]    (default: .venv/bin/python if present, else python3)
set -u
cd "$(dirname "$0")/.."
PY=${1:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
export TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=Agg
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "== device"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi failed"
else
  echo "nvidia-smi: not found"
fi
N_GPU=$("$PY" -c "import tensorflow as tf; print(len(tf.config.list_physical_devices('GPU')))" 2>/dev/null | tail -n 1)
N_GPU=${N_GPU:-0}
echo "CPU cores: $(nproc); GPUs visible to TensorFlow: $N_GPU"
if [ "$N_GPU" = "0" ]; then
  echo "no GPU: running the benchmarks once, on the CPU (no ratios)"
  DEVICES="cpu"
else
  DEVICES="gpu cpu"
fi

for dev in $DEVICES; do
  if [ "$dev" = "cpu" ]; then VIS=""; else VIS="${CUDA_VISIBLE_DEVICES-0}"; fi
  echo "== trainer on $dev (benchmarks/train_bench.py --quick)"
  CUDA_VISIBLE_DEVICES=$VIS "$PY" benchmarks/train_bench.py --quick 2>&1 | tee "$OUT/train_$dev.txt"
  echo "== KDE and binning on $dev (benchmarks/mi_bench.py --quick)"
  CUDA_VISIBLE_DEVICES=$VIS "$PY" benchmarks/mi_bench.py --quick --json "$OUT/mi_$dev.json" 2>&1 | tee "$OUT/mi_$dev.txt"
done

if [ "$N_GPU" != "0" ]; then
  echo "== GPU vs CPU (same run; ratio = CPU time / GPU time)"
  "$PY" - "$OUT" <<'PYEOF'
import json, re, sys
out = sys.argv[1]
def train(dev):
    text = open(f"{out}/train_{dev}.txt").read()
    per = re.search(r"\[3\] train_ensemble.*?([\d.]+) ms/replica-epoch", text)
    tot = re.search(r"total\s+([\d.]+) s", text)
    return {"trainer ms/replica-epoch [3]": float(per.group(1)) if per else None,
            "Shwartz-Ziv & Tishby setting total s [4]": float(tot.group(1)) if tot else None}
def mi(dev):
    try:
        return json.load(open(f"{out}/mi_{dev}.json"))
    except (OSError, ValueError):
        return {}
for name, f in (("trainer", train), ("mi", mi)):
    g, c = f("gpu"), f("cpu")
    for k in c:
        if g.get(k) and c.get(k):
            print(f"{k:45s} gpu {g[k]:10.3f}  cpu {c[k]:10.3f}  ratio {c[k] / g[k]:6.1f}x")
        else:
            print(f"{k:45s} gpu {g.get(k)}  cpu {c.get(k)}")
PYEOF
fi
