"""Measures the Python peers on the data `vividcrowd-bench scale --export` wrote, in the same run as ours.

Called by scripts/peers/run_peers.sh; writes reports/peers.json and reports/peers.md with ratios to our figures
from reports/scale.json and reports/segmentation.json (written minutes earlier by the same script).
"""
import json
import os
import pathlib
import statistics
import sys
import time

import numpy as np

root = pathlib.Path(__file__).resolve().parents[2]
data_root = pathlib.Path(sys.argv[1])
reports = root / "reports"


def timed(fn, repeats):
    latencies = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def summary(latencies):
    ordered = sorted(latencies)
    return {"p50": statistics.median(ordered), "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
            "mean": statistics.fmean(ordered)}


results = {"environment": {
    "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"), "threads": 1,
}}
try:
    from threadpoolctl import threadpool_info
    results["environment"]["blas"] = [{k: i.get(k) for k in ("internal_api", "architecture", "num_threads", "version")}
                                      for i in threadpool_info()]
except Exception:
    pass

for size in (10_000, 100_000):
    folder = data_root / str(size)
    docs = [line.split() for line in (folder / "docs.txt").read_text(encoding="utf-8").splitlines()]
    queries = [line.split() for line in (folder / "queries.txt").read_text(encoding="utf-8").splitlines()]
    vectors = np.fromfile(folder / "vectors.f32", dtype="<f4").reshape(size, -1)
    qvectors = np.fromfile(folder / "queries.f32", dtype="<f4").reshape(len(queries), -1)
    row = {"size": size}

    from rank_bm25 import BM25Okapi
    bm25 = BM25Okapi(docs)
    sample = queries[: 20 if size >= 100_000 else 50]
    latencies = []
    for q in sample:
        start = time.perf_counter()
        scores = bm25.get_scores(q)
        np.argpartition(-scores, 10)[:10]
        latencies.append((time.perf_counter() - start) * 1000)
    row["rank_bm25_ms"] = summary(latencies)

    import bm25s
    retriever = bm25s.BM25(backend="numba")
    vocabulary = {}
    ids = [[vocabulary.setdefault(t, len(vocabulary)) for t in d] for d in docs]
    retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocabulary), show_progress=False)
    query_ids = [[vocabulary[t] for t in q if t in vocabulary] or [0] for q in queries]
    retriever.retrieve(bm25s.tokenization.Tokenized(ids=query_ids[:5], vocab=vocabulary), k=10, n_threads=1,
                       show_progress=False)  # compile
    latencies = []
    for q in query_ids:
        one = bm25s.tokenization.Tokenized(ids=[q], vocab=vocabulary)
        start = time.perf_counter()
        retriever.retrieve(one, k=10, n_threads=1, show_progress=False)
        latencies.append((time.perf_counter() - start) * 1000)
    row["bm25s_numba_ms"] = summary(latencies)
    batch = bm25s.tokenization.Tokenized(ids=query_ids, vocab=vocabulary)
    start = time.perf_counter()
    retriever.retrieve(batch, k=10, n_threads=1, show_progress=False)
    row["bm25s_numba_batch_qps"] = len(query_ids) / (time.perf_counter() - start)

    row["numpy_ms"] = summary(timed(lambda: np.argpartition(-(vectors @ qvectors[0]), 10)[:10], 50))
    batch64 = qvectors[:64]
    lat = timed(lambda: vectors @ batch64.T, 10)
    row["numpy_batch64_ms_per_query"] = statistics.median(lat) / 64

    import faiss
    faiss.omp_set_num_threads(1)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    row["faiss_flat_ms"] = summary(timed(lambda: index.search(qvectors[:1], 10), 50))
    lat = timed(lambda: index.search(batch64, 10), 10)
    row["faiss_flat_batch64_ms_per_query"] = statistics.median(lat) / 64
    results[str(size)] = row
    print(size, json.dumps(row), flush=True)

import jieba
jieba.initialize()
texts = []
for name in ("qa", "twins"):
    texts += [item["text"] for item in json.loads((root / f"Tests/Fixtures/jieba/{name}.json").read_text(encoding="utf-8"))]
characters = sum(len(t) for t in texts)
start = time.perf_counter()
passes = 3
for _ in range(passes):
    for t in texts:
        jieba.lcut(t)
results["jieba_chars_per_second"] = characters * passes / (time.perf_counter() - start)
(reports / "peers.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")

# Ratios against our figures from the same run.
ours = {row["size"]: row for row in json.loads((reports / "scale.json").read_text(encoding="utf-8"))}
segmentation = json.loads((reports / "segmentation.json").read_text(encoding="utf-8"))
lines = ["# VividCrowd vs Python peers (same machine, same run, one thread)", "",
         "Data: `vividcrowd-bench scale --export` (synthetic documents from real utterances; clustered 384-d vectors).",
         "Latencies are p50 per single query in ms; ratio = peer / ours (higher means we are faster).", "",
         "| size | task | ours | peer | peer figure | ratio |", "|---|---|---|---|---|---|"]
for size in (10_000, 100_000):
    mine, peer = ours[size], results[str(size)]
    def add(task, ours_value, name, peer_value):
        lines.append(f"| {size} | {task} | {ours_value:.4f} | {name} | {peer_value:.4f} | {peer_value / ours_value:.1f}× |")
    add("BM25 top-10", mine["bm25_ms"]["p50"], "rank_bm25", peer["rank_bm25_ms"]["p50"])
    add("BM25 top-10", mine["bm25_ms"]["p50"], "bm25s (numba)", peer["bm25s_numba_ms"]["p50"])
    lines.append(f"| {size} | BM25 queries/s | {mine['bm25_qps']:.0f} | bm25s (numba) batch | "
                 f"{peer['bm25s_numba_batch_qps']:.0f} | {mine['bm25_qps'] / peer['bm25s_numba_batch_qps']:.1f}× |")
    add("dense top-10 f32", mine["dense_f32_ms"]["p50"], "numpy", peer["numpy_ms"]["p50"])
    add("dense top-10 f32", mine["dense_f32_ms"]["p50"], "faiss IndexFlatIP", peer["faiss_flat_ms"]["p50"])
    add("dense top-10 int8 store", mine["dense_int8_ms"]["p50"], "faiss IndexFlatIP", peer["faiss_flat_ms"]["p50"])
    add("batch of 64, per query", mine["batch64_ms_per_query"], "numpy", peer["numpy_batch64_ms_per_query"])
    add("batch of 64, per query", mine["batch64_ms_per_query"], "faiss", peer["faiss_flat_batch64_ms_per_query"])
lines += ["", f"Segmentation: ours {segmentation['chars_per_second']:.0f} chars/s, Python jieba "
          f"{results['jieba_chars_per_second']:.0f} chars/s: {segmentation['chars_per_second'] / results['jieba_chars_per_second']:.1f}×.",
          "", "Reproduce: `scripts/peers/run_peers.sh`"]
(reports / "peers.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
print("\n".join(lines))
