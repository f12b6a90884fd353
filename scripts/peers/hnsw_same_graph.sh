#!/usr/bin/env bash
# HNSW search alone, ours against hnswlib, on one graph: `vividcrowd-bench hnsw` builds the graph once (our shim, one
# thread; 12–14 minutes at 1M here) and saves it, then each round searches that file with the product's HNSWIndex
# and with hnswlib 0.8.0 from Python, in turn. Medians and ranges into reports/hnsw-same-graph.{md,json}; each
# round's JSON stays in reports/hnsw-same-graph-runs.
#   HNSW_SIZE    rows (default 1000000)
#   HNSW_ROUNDS  rounds (default 3)
#   HNSW_GRAPHS  where the graph and queries are kept between invocations (default .build/peers-graphs; delete it
#                to build afresh)
#   PEERS_HNSW_EF candidate lists beside 128 (default 256,512,1024,2048)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${PEERS_VENV:-.venv/peers}
SIZE=${HNSW_SIZE:-1000000}
ROUNDS=${HNSW_ROUNDS:-3}
GRAPHS=${HNSW_GRAPHS:-.build/peers-graphs}
export PEERS_HNSW_EF=${PEERS_HNSW_EF:-256,512,1024,2048}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet 'numpy==2.4.6' 'hnswlib==0.8.0'
core=${OPENBLAS_CORETYPE:-$(scripts/lib/openblas-core.sh)}
if [ -n "$core" ]; then export OPENBLAS_CORETYPE=$core; fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
swift build -c release --product vividcrowd-bench
bench=.build/release/vividcrowd-bench
data="$GRAPHS/$SIZE"
mkdir -p "$data"
KEEP=reports/hnsw-same-graph-runs
rm -rf "$KEEP"
mkdir -p "$KEEP"
for round in $(seq 1 "$ROUNDS"); do
    echo "== round $round of $ROUNDS: ours"
    "$bench" hnsw --size "$SIZE" --graph "$data/graph.bin" --ef "128,$PEERS_HNSW_EF" --export "$data" \
        --json "$KEEP/ours-$round.json"
    echo "== round $round of $ROUNDS: hnswlib"
    "$VENV/bin/python" scripts/peers/peers.py hnsw-graph "$data" "$data/graph.bin" "$KEEP/hnswlib-$round.json"
done
"$VENV/bin/python" scripts/peers/peers.py hnsw-report "$KEEP"
