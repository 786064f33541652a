#!/usr/bin/env bash
# Runs the bundled benchmark (made by scripts/gpu-server/prepare.sh) on an offline NVIDIA GPU server without
# Node.js, then the PyTorch reference on the same card, writing both into $OUT (default ./gpu-out):
#   $OUT/bench.json     the bench's JSON (written after every case: a run stopped at a time limit keeps what it had)
#   $OUT/bench.log      its stderr
#   $OUT/pytorch.txt    pytorch_pgd_reference.py's output
#   $OUT/run.log        what this script did: GPU, driver, Vulkan ICD, node, exit codes, times
#
#   bash scripts/gpu-server/run.sh [options] [-- bench flags]      (from the repo root, with .gpu-bundle/ there)
#   bash .gpu-bundle/run.sh [options] [-- bench flags]             (the copy inside the bundle; same thing)
# Options:
#   --bundle DIR          the prepared bundle (default: this script's folder if it holds one, else ./.gpu-bundle)
#   --pytorch-ref FILE    the PyTorch reference script (default: the bundle's copy of ../shared/device/pytorch_pgd_reference.py)
#   --no-reference        skip the PyTorch reference
#   --name NAME           output names NAME.json / NAME.log (default bench)
#   --bench-timeout S     seconds for the bench (default 380), --ref-timeout S for the reference (default 150)
#   --local               a check on this kind of machine: no debs unpacked, no NVIDIA ICD, no hardware-adapter requirement
# Bench flags default to none (every case, every engine); on a real server the bench always gets
# AOS_REQUIRE_HARDWARE_ADAPTER=1, so it fails instead of silently running on a software adapter.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -f "$HERE/payload.tar.xz" ]; then BUNDLE=$HERE; else BUNDLE=$(pwd)/.gpu-bundle; fi
REF=""
NO_REF=0
LOCAL=0
NAME=bench
BENCH_TIMEOUT=380
REF_TIMEOUT=150
BENCH_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE=$(cd "$2" && pwd); shift 2 ;;
    --pytorch-ref) REF=$2; shift 2 ;;
    --no-reference) NO_REF=1; shift ;;
    --name) NAME=$2; shift 2 ;;
    --bench-timeout) BENCH_TIMEOUT=$2; shift 2 ;;
    --ref-timeout) REF_TIMEOUT=$2; shift 2 ;;
    --local) LOCAL=1; shift ;;
    --) shift; BENCH_ARGS=("$@"); break ;;
    *) echo "run.sh: unknown option '$1' (bench flags go after --)" >&2; exit 2 ;;
  esac
done
[ -n "$REF" ] || REF=$BUNDLE/pytorch_pgd_reference.py
[ -f "$BUNDLE/payload.tar.xz" ] && [ -f "$BUNDLE/bench.mjs" ] && [ -f "$BUNDLE/node.xz" ] || { echo "run.sh: no prepared bundle in $BUNDLE (run scripts/gpu-server/prepare.sh first)" >&2; exit 2; }

OUT=${OUT:-$(pwd)/gpu-out}
mkdir -p "$OUT"
LOG=$OUT/run.log
: > "$LOG"
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOG"; }

log "bundle: $BUNDLE"
[ -f "$BUNDLE/MANIFEST" ] && head -3 "$BUNDLE/MANIFEST" >> "$LOG"

# 1. Vulkan loader + glvnd (unpacked into /, as ../shared/device/README.md does), the NVIDIA ICD.
if [ "$LOCAL" = 0 ]; then
  for f in "$BUNDLE"/gl/*.deb; do dpkg -x "$f" / || { log "dpkg -x $f failed (not root?)"; exit 3; }; done
  ldconfig
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; break; fi
  done
  for egl in /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json /usr/share/glvnd/egl_vendor.d/10_nvidia.json; do
    if [ -f "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$egl; break; fi
  done
  log "VK_DRIVER_FILES=${VK_DRIVER_FILES:-<no NVIDIA ICD found: loader defaults>}"
  (nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || echo "nvidia-smi: not available") >> "$LOG"
  # Fail loudly on a software adapter (src/gpu/device.ts) rather than name-matching with a Dawn flag: Dawn's
  # adapter=nvidia matched the H100 but not the H200 ("no suitable backends found" with NVIDIA H200 listed).
  export AOS_REQUIRE_HARDWARE_ADAPTER=1
fi

# 2. Node and the native modules, unpacked outside any node_modules tree of the repo.
WORK=$(mktemp -d /tmp/aos-gpu-bundle.XXXXXX)
xz -dc "$BUNDLE/node.xz" > "$WORK/node" && chmod +x "$WORK/node"
xz -dc "$BUNDLE/payload.tar.xz" | tar -C "$WORK" -xf -
cp "$BUNDLE/bench.mjs" "$WORK/"
log "node $("$WORK/node" --version) in $WORK; bench flags: ${BENCH_ARGS[*]:-<none>}"
cat /proc/cpuinfo 2>/dev/null | grep -m1 'model name' >> "$LOG"
echo "cpus: $(nproc)  memory: $(free -g 2>/dev/null | awk '/Mem:/ { print $2 " GiB" }')" >> "$LOG"

# 3. The bench, from the directory run.sh was called in (the repo root: the methods cases read public/models and
# public/data from there); bench.mjs resolves webgpu and onnxruntime-node next to itself, in $WORK.
T0=$(date +%s)
timeout "$BENCH_TIMEOUT" "$WORK/node" "$WORK/bench.mjs" --out="$OUT/$NAME.json" "${BENCH_ARGS[@]}" > /dev/null 2> "$OUT/$NAME.log"
BENCH_RC=$?
log "bench exit code $BENCH_RC after $(( $(date +%s) - T0 )) s$([ "$BENCH_RC" = 124 ] && echo " (stopped at --bench-timeout $BENCH_TIMEOUT: $NAME.json holds the cases that finished)")"
grep -v -e '^Warning: maxDynamic' -e 'VerifyEachNodeIsAssignedToAnEp' "$OUT/$NAME.log" | tail -5 >> "$LOG"

# 4. The PyTorch reference on the same card.
REF_RC=skipped
if [ "$NO_REF" = 0 ]; then
  if [ -f "$REF" ]; then
    T0=$(date +%s)
    PYTHONUNBUFFERED=1 timeout "$REF_TIMEOUT" python3 "$REF" > "$OUT/pytorch.txt" 2>&1
    REF_RC=$?
    log "pytorch reference exit code $REF_RC after $(( $(date +%s) - T0 )) s"
  else
    log "no PyTorch reference at $REF"
  fi
fi
rm -rf "$WORK"
log "done: bench $BENCH_RC, reference $REF_RC; outputs in $OUT"
[ "$BENCH_RC" = 0 ]
