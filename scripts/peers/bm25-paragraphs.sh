#!/usr/bin/env bash
# Plain BM25 over paragraphs within one document (rank_bm25's BM25Okapi, no chunking, no embeddings): the reference
# that twins-qa's SOURCE.md tabulates and `vividcrowd-bench twins` is held to. SOURCE.md gives its figures to three
# decimals and names the tokens only as "characters and character bigrams" for Chinese, so this prints the
# reference under each reading of that: Chinese text with whitespace dropped, with punctuation dropped, or split at
# punctuation; English as lower-cased words. One line of JSON per suite and tokenisation: R@1, R@3, MRR and the
# answerable questions missed at rank 3.
#   scripts/peers/bm25-paragraphs.sh ../shared/data/twins-qa          # every suite folder in it
#   scripts/peers/bm25-paragraphs.sh ../shared/data/twins-qa/drcd     # one suite
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${PEERS_VENV:-.venv/peers}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import rank_bm25' 2>/dev/null || "$VENV/bin/pip" install --quiet 'rank-bm25==0.2.2' 'numpy==2.4.6' >&2
"$VENV/bin/python" - "$1" <<'PY'
import json, pathlib, re, sys
from rank_bm25 import BM25Okapi

def with_bigrams(parts):
    return [token for part in parts for token in list(part) + [part[i:i + 2] for i in range(len(part) - 1)]]

CHINESE = {
    "whitespace dropped": lambda text: with_bigrams([re.sub(r"\s+", "", text.lower())]),
    "punctuation dropped": lambda text: with_bigrams([re.sub(r"[^\w]", "", text.lower())]),
    "split at punctuation": lambda text: with_bigrams(re.split(r"[^\w]+", text.lower())),
}
ENGLISH = {"words": lambda text: re.findall(r"\w+", text.lower())}

root = pathlib.Path(sys.argv[1])
folders = [root] if (root / "queries.jsonl").exists() else sorted(p for p in root.iterdir() if (p / "docs.jsonl").exists())
for folder in folders:
    docs = {d["doc"]: d for d in map(json.loads, (folder / "docs.jsonl").read_text().splitlines())}
    queries = [q for q in map(json.loads, (folder / "queries.jsonl").read_text().splitlines()) if q["type"] == "answerable"]
    chinese = next(iter(docs.values())).get("lang", "").startswith("zh")
    for name, tokens in (CHINESE if chinese else ENGLISH).items():
        indexes = {doc: BM25Okapi([tokens(p) for p in d["paragraphs"]]) for doc, d in docs.items()}
        at1 = at3 = 0
        reciprocal = 0.0
        for query in queries:
            scores = indexes[query["doc"]].get_scores(tokens(query["query"]))
            order = sorted(range(len(scores)), key=lambda i: -scores[i])
            gold = query.get("gold_paragraph_indices") or [query["gold_paragraph_index"]]
            rank = min(order.index(g) for g in gold) + 1
            at1 += rank == 1
            at3 += rank <= 3
            reciprocal += 1 / rank
        n = len(queries)
        print(json.dumps({"suite": folder.name, "tokens": name, "questions": n, "recall_at_1": round(at1 / n, 4),
                          "recall_at_3": round(at3 / n, 4), "mrr": round(reciprocal / n, 4), "missed_at_3": n - at3},
                         ensure_ascii=False))
PY
