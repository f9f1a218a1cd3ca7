#!/usr/bin/env bash
# The lent GPU machine's pretraining command (README: "On a lent GPU machine"): unpack nothing by
# hand — the pack is read as it travelled — then smoke test, speed sweep, training to the
# deadline, weights + logs into $OUT. Run from the repository root:
#   bash scripts/gpu_pretrain.sh PACK_DIR [CARRIED_WEIGHTS_DIR]
# BUDGET_SECONDS (default 530) is this command's whole time; keep the device call's timeout
# some 60 s above it. WORK (default /tmp/rasa-electra-pretrain) holds the local checkpoints and
# pack parts a second command on the same warm machine resumes from and trains on, beside the
# parts it carries itself (make gpu-kit's corpus/resume-kit-2).
set -uo pipefail
PACK="${1:?usage: scripts/gpu_pretrain.sh PACK_DIR [CARRIED_WEIGHTS_DIR]}"
CARRIED="${2:-}"
OUT="${OUT:-out}"
BUDGET_SECONDS="${BUDGET_SECONDS:-530}"
WORK="${WORK:-/tmp/rasa-electra-pretrain}"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export TOKENIZERS_PARALLELISM=false
PYTHON="${PYTHON:-python3}"
mkdir -p "$OUT"
# the machine in the log only: at most 8 files may come back, the weights need most of them
date -u +%FT%TZ
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv 2>&1 || true
"$PYTHON" -c 'import torch, transformers, accelerate; print("torch", torch.__version__,
"transformers", transformers.__version__, "accelerate", accelerate.__version__)'
"$PYTHON" -m lab.cli.gpu_pretrain --data "$PACK" --work "$WORK" --deliver "$OUT" \
    --budget-seconds "$BUDGET_SECONDS" ${CARRIED:+--init-weights "$CARRIED"} ${GPU_PRETRAIN_ARGS:-}
status=$?
ls -la "$OUT"
exit $status
