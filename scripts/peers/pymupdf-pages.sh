#!/usr/bin/env bash
# PyMuPDF's text extraction speed on every PDF of a folder, the peer of `vividcrowd-bench twins --peers`:
# prints {"pages", "seconds", "pages_per_second", "version"} (median of 5 reads per document, one thread).
#   scripts/peers/pymupdf-pages.sh ../shared/data/twins-qa/pdf
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${PEERS_VENV:-.venv/peers}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import pymupdf' 2>/dev/null || "$VENV/bin/pip" install --quiet 'pymupdf==2.0' >&2
"$VENV/bin/python" - "$1" <<'PY'
import json, pathlib, statistics, sys, time
import pymupdf

folder = pathlib.Path(sys.argv[1])
pages = 0
seconds = 0.0
for pdf in sorted(folder.glob("*.pdf")):
    data = pdf.read_bytes()
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        with pymupdf.open(stream=data, filetype="pdf") as document:
            texts = [page.get_text() for page in document]
        runs.append(time.perf_counter() - started)
    pages += len(texts)
    seconds += statistics.median(runs)
print(json.dumps({"pages": pages, "seconds": seconds, "pages_per_second": pages / seconds if seconds else 0,
                  "version": pymupdf.VersionBind}))
PY
