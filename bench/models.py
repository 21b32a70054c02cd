"""`make bench-models`: each recommended model (and the default's candidates) on this CPU.

    python -m bench.models [--batch 16] [--runs 3] [--only ViT-B-32,MobileCLIP-S2]

For each architecture, with random weights (speed does not depend on the values), in a fresh
process of its own: the image tower's speed on batches (img/s, fp32 and bf16), a warm text
query (ms; the pass InPhotos runs: it stops at the query's end where the tower allows), and
the process's peak memory while encoding images in fp32 (MB; torch's own import included).
Architectures whose text tower needs files from the Hugging Face hub (multilingual, SigLIP 2
tokenizers) get image figures only. Writes bench/results.json and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from bench.report import record
from bench.run import QUERIES, ROOT

log = logging.getLogger("bench")

#: Published COCO text→image R@1 of the weights (as given in issue #14; None: not looked up
#: here): what "quality" means when choosing a default.
CANDIDATES: list[tuple[str, float | None]] = [
    ("ViT-B-32:laion2b_s34b_b79k", 39.3),
    ("ViT-B-32-256:datacomp_s34b_b86k", 39.9),
    ("MobileCLIP-S1:datacompdr", None),
    ("MobileCLIP-S2:datacompdr", 45.4),
    ("ViT-B-16-SigLIP2:webli", 52.0),
    ("ViT-L-14:datacomp_xl_s13b_b90k", None),
    ("xlm-roberta-base-ViT-B-32:laion5b_s13b_b90k", None),
]

PROBE = r'''
import json, resource, statistics, sys, time
import torch, open_clip
arch, batch, runs, queries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
out = {}
torch.manual_seed(0)
model = open_clip.create_model(arch).eval()
size = model.visual.image_size
size = size[0] if isinstance(size, (tuple, list)) else size
x = torch.randn(batch, 3, size, size)

def rate(m, xx):
    with torch.inference_mode():
        m.encode_image(xx)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter(); m.encode_image(xx); times.append(time.perf_counter() - t0)
    return round(batch / statistics.median(times), 2)

out["img_per_s_fp32"] = rate(model, x)
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
try:
    tokenizer = open_clip.get_tokenizer(arch)
    from inphotos.ml.fast import encode_text_short, short_text_supported
    short = short_text_supported(model)
    with torch.inference_mode():
        def encode(q):
            tokens = tokenizer([q])
            return encode_text_short(model, tokens) if short else model.encode_text(tokens)
        for q in queries[:3]:
            encode(q)
        times = []
        for q in queries:
            t0 = time.perf_counter(); encode(q); times.append((time.perf_counter() - t0) * 1000)
    out["text_query_ms"] = round(statistics.median(times), 1)
except Exception as e:  # a tokenizer from the hub, with no network here
    out["text_error"] = f"{type(e).__name__}: {str(e)[:120]}"
out["img_per_s_bf16"] = rate(model.to(torch.bfloat16), x.to(torch.bfloat16))
print("RESULT " + json.dumps(out))
'''


def probe(arch: str, batch: int, runs: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", PROBE, arch, str(batch), str(runs), json.dumps(QUERIES)],
                          capture_output=True, text=True, cwd=ROOT, timeout=3600,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
                               "OMP_WAIT_POLICY": "PASSIVE"})  # as InPhotos runs torch
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT "):]))
    return {"error": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--only", default="", help="comma list of architectures")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    only = set(filter(None, args.only.split(",")))
    rows = []
    for spec, r1 in CANDIDATES:
        arch = spec.split(":", 1)[0]
        if only and arch not in only:
            continue
        row: dict[str, Any] = {"spec": spec, "coco_r1": r1 if r1 is not None else "—"}
        row.update(probe(arch, args.batch, args.runs))
        log.info("%s", row)
        rows.append(row)
    base = next((r for r in rows if r["spec"].startswith("ViT-B-32:")), None)
    for row in rows:
        if base and "img_per_s_fp32" in row and "img_per_s_fp32" in base:
            row["vs_b32_fp32"] = round(row["img_per_s_fp32"] / base["img_per_s_fp32"], 2)
    record({"models": rows, "models_meta": {"batch": args.batch, "runs": args.runs,
                                            "date": datetime.now(UTC).strftime("%Y-%m-%d")}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
