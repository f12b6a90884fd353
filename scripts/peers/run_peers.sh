#!/usr/bin/env bash
# Our retrieval kernels and their strongest peers in one session, interleaved: ours, then the peers, PEERS_RUNS
# times (3 by default), then medians and ranges into reports/peers.{md,json}. The last run's own reports also land
# in reports/ (scale.md, segmentation.md). One thread each. A run took about 12 minutes on 2 cores here.
#   PEERS_SIZES   index sizes (default 100000,1000000)
#   PEERS_ANN_MAX largest size the HNSW indexes (ours, hnswlib, usearch) are built at (default 100000). Sizes above
#                 100000 are built in the first run only, and usearch only up to PEERS_USEARCH_MAX (default 100000:
#                 its 1M build took 1,363 s here); hnswlib and ours took 11–12 minutes each at 1M (651 and 739 s).
#   PEERS_HNSW_EF candidate lists (ef) both graphs are also searched with, beside 128 (default 256,512,1024,2048)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${PEERS_VENV:-.venv/peers}
RUNS=${PEERS_RUNS:-3}
SIZES=${PEERS_SIZES:-100000,1000000}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet 'bm25s==0.3.16' 'numba==0.68.1' 'faiss-cpu==1.15.1' 'numpy==2.4.6' threadpoolctl \
    'jieba==0.42.1' 'tantivy==0.27.0' 'rjieba==0.2.2' 'usearch==2.26.6' 'hnswlib==0.8.0'
core=${OPENBLAS_CORETYPE:-$(scripts/lib/openblas-core.sh)}
if [ -n "$core" ]; then export OPENBLAS_CORETYPE=$core; fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 MKL_NUM_THREADS=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Each run's measurements are kept beside the report (small JSON files), so a report can be redone or audited.
KEEP=reports/peers-runs
rm -rf "$KEEP"
swift build -c release --product vividcrowd-bench
bench=.build/release/vividcrowd-bench
ANN_MAX=${PEERS_ANN_MAX:-100000}
export PEERS_HNSW_EF=${PEERS_HNSW_EF:-256,512,1024,2048}
ANN_REPEAT_MAX=$(( ANN_MAX < 100000 ? ANN_MAX : 100000 ))
sizes_up_to() { tr ',' '\n' <<< "$SIZES" | awk -v max="$1" '$1 <= max' | paste -sd, -; }
runs=()
for run in $(seq 1 "$RUNS"); do
    ann_max=$ANN_REPEAT_MAX
    [ "$run" = 1 ] && ann_max=$ANN_MAX
    hnsw_sizes=$(sizes_up_to "$ann_max")
    out="$WORK/run$run"
    mkdir -p "$out/ours"
    reports="$out/ours"
    [ "$run" = "$RUNS" ] && reports=reports
    echo "== run $run of $RUNS: ours"
    "$bench" segmentation --reports "$reports"
    if [ "$run" = 1 ]; then
        "$bench" scale --sizes "$SIZES" --hnsw-sizes "$hnsw_sizes" --hnsw-ef "$PEERS_HNSW_EF" --export "$WORK/data" --export-sizes "$SIZES" \
            --reports "$reports"
    else
        "$bench" scale --sizes "$SIZES" --hnsw-sizes "$hnsw_sizes" --hnsw-ef "$PEERS_HNSW_EF" --reports "$reports"
    fi
    [ "$reports" = reports ] && cp reports/scale.json reports/segmentation.json "$out/ours/"
    echo "== run $run of $RUNS: peers"
    PEERS_ANN_MAX=$ann_max "$VENV/bin/python" scripts/peers/peers.py measure "$WORK/data" "$out/peers.json"
    mkdir -p "$KEEP/run$run/ours"
    cp "$out/peers.json" "$KEEP/run$run/"
    cp "$out/ours/scale.json" "$out/ours/segmentation.json" "$KEEP/run$run/ours/"
    runs+=("$KEEP/run$run")
done
"$VENV/bin/python" scripts/peers/peers.py report "${runs[@]}"
