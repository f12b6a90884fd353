#!/usr/bin/env bash
# Our benchmarks and the Python peers (rank-bm25, bm25s with numba, numpy, faiss-cpu, jieba) in one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${PEERS_VENV:-.venv/peers}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet 'rank-bm25==0.2.2' 'bm25s==0.3.16' 'numba==0.68.1' 'faiss-cpu==1.15.1' 'numpy==2.4.6' threadpoolctl 'jieba==0.42.1'
core=${OPENBLAS_CORETYPE:-$(scripts/lib/openblas-core.sh)}
if [ -n "$core" ]; then export OPENBLAS_CORETYPE=$core; fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 MKL_NUM_THREADS=1
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
swift build -c release --product vividcrowd-bench
.build/release/vividcrowd-bench segmentation
.build/release/vividcrowd-bench scale --export "$DATA"
"$VENV/bin/python" scripts/peers/peers.py "$DATA"
