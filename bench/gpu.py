"""The whole GPU check in one run (`make bench-gpu`), for a machine with a CUDA GPU.

    python -m bench.gpu [--photos 2000] [--device cuda] [--out bench/results-gpu.json]

Time on a GPU machine is short, so this script does everything such a session needs, in a
few minutes, and writes one JSON file:

1. `gpu_index_e2e_img_per_s`: the real `Library.index()` on the 12 MP corpus (bench/corpus.py),
   with the model on the GPU (fp16) and as many CPU decode threads as there are cores. This is
   what a user gets today: decoding stays on the CPU (~44 ms of a core per 12 MP JPEG at
   reduced size), so 16 cores cap it near 360 img/s whatever the GPU does.
2. `gpu_nvjpeg_img_per_s`: a probe of the way past that cap: the same JPEGs read as bytes by
   a few threads, decoded in batches by nvJPEG (`torchvision.io.decode_jpeg(..., device=
   "cuda")`), resized on the GPU and embedded in fp16, file to vector. If it clears the goal
   (≥ 1000 img/s), the pipeline should gain this path; the figure says whether it is worth it.
3. `gpu_min_cosine_to_cpu_fp32` and `nvjpeg_min_cosine_to_cpu_fp32`: the lowest cosine of each
   GPU path's vectors to the CPU fp32 path (open_clip's weights, InPhotos' decode) on the same
   photos. Goal ≥ 0.99.

The model is ViT-B-32's architecture with random weights (speed does not depend on the
values; bench/run.py makes the same one). `--device cpu --photos 40` runs the whole script
on a machine without a GPU as a dry run of its logic (the figures then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("bench.gpu")
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"


def build_corpus(count: int) -> Path:
    """`count` 12 MP JPEGs (made once in parallel, then reused)."""
    from multiprocessing import Pool

    folder = DATA / "gpu-corpus"
    folder.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(count) if not (folder / f"{i:05d}.jpg").exists()]
    if missing:
        log.info("making %d 12 MP JPEGs in %s", len(missing), folder)
        with Pool(os.cpu_count() or 2) as pool:
            pool.map(_make_one, [(folder, i) for i in missing], chunksize=4)
    return folder


def _make_one(job: tuple[Path, int]) -> None:
    from bench.corpus import natural_image

    folder, i = job
    tmp = folder / f".{i:05d}.jpg"
    natural_image(10_000 + i).save(tmp, "JPEG", quality=90)
    tmp.replace(folder / f"{i:05d}.jpg")


def e2e(spec: str, corpus: Path, device: str) -> dict[str, Any]:
    """The app's own indexing, model on `device`, decode threads = cores."""
    from inphotos.core.library import Library
    from inphotos.paths import use_home

    with tempfile.TemporaryDirectory() as home:
        lib = Library(use_home(home).ensure(), spec, device=device, workers=os.cpu_count() or 2,
                      batch_size=64)
        lib.embedder  # noqa: B018 - load the model before the clock starts, as the app does
        lib.add_folder(str(corpus))
        t0 = time.perf_counter()
        report = lib.index()
        seconds = time.perf_counter() - t0
        lib.close()
    return {"gpu_index_e2e_img_per_s": round(report.embedded / seconds, 1),
            "gpu_index_e2e_photos": report.embedded, "gpu_index_e2e_seconds": round(seconds, 1)}


def _gpu_pixels(torch: Any, images: list[Any], size: int, mean: Any, std: Any) -> Any:
    """Decoded uint8 CHW images on the GPU → a normalised batch, shortest side to `size`,
    centre crop (what open_clip's preprocess does, bicubic with antialias)."""
    out = []
    for img in images:
        _, h, w = img.shape
        scale = size / min(h, w)
        nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
        x = torch.nn.functional.interpolate(img[None].float(), size=(nh, nw), mode="bicubic",
                                            antialias=True, align_corners=False)
        top, left = (nh - size) // 2, (nw - size) // 2
        out.append(x[0, :, top:top + size, left:left + size])
    batch = torch.stack(out).clamp_(0, 255) / 255.0
    return (batch - mean) / std


def nvjpeg(spec: str, corpus: Path, device: str, batch: int = 64) -> tuple[dict[str, Any], dict[str, Any]]:
    """File bytes → nvJPEG batch decode → GPU resize → fp16 model. Returns the figures and the
    vectors by file name (for the cosine check)."""
    import torch
    from torchvision.io import decode_jpeg

    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(spec, device=device, precision="fp16" if device == "cuda" else "fp32",
                       compile_images=False)
    ps = emb.pixel_spec
    mean = torch.tensor(ps.mean, device=device).view(1, 3, 1, 1)
    std = torch.tensor(ps.std, device=device).view(1, 3, 1, 1)
    files = sorted(corpus.glob("*.jpg"))
    vectors: dict[str, Any] = {}

    def read(path: Path) -> Any:
        return torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.uint8)

    def run(chunk: list[Path], datas: list[Any]) -> None:
        images = decode_jpeg(datas, device=device)
        x = _gpu_pixels(torch, images, ps.size, mean, std)
        with torch.inference_mode():
            v = emb.model.encode_image(x.to(next(emb.model.parameters()).dtype))
            v = torch.nn.functional.normalize(v.float(), dim=-1).cpu().numpy()
        for p, row in zip(chunk, v, strict=True):
            vectors[p.name] = row

    with ThreadPoolExecutor(8) as readers:
        run(files[:batch], list(readers.map(read, files[:batch])))  # warm up (cuDNN, nvJPEG)
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        chunks = [files[i:i + batch] for i in range(0, len(files), batch)]
        pending = readers.map(lambda c: [read(p) for p in c], chunks)
        for chunk, datas in zip(chunks, pending, strict=True):
            run(chunk, datas)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
    return ({"gpu_nvjpeg_img_per_s": round(len(files) / seconds, 1), "gpu_nvjpeg_batch": batch},
            vectors)


def cpu_reference(spec: str, files: list[Path]) -> dict[str, Any]:
    """The CPU fp32 path on InPhotos' own decode: the reference both GPU paths are held to."""
    from inphotos.core.imaging import decode
    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(spec, device="cpu", precision="fp32", compile_images=False)
    pixels = np.stack([decode(f, emb.pixel_spec, want_thumbnail=False).pixels for f in files])
    return dict(zip([f.name for f in files], emb.encode_pixels(pixels), strict=True))


def gpu_app_vectors(spec: str, files: list[Path], device: str) -> dict[str, Any]:
    """The app's GPU path (InPhotos' CPU decode, model on the GPU in fp16)."""
    from inphotos.core.imaging import decode
    from inphotos.ml.embedder import ClipEmbedder

    emb = ClipEmbedder(spec, device=device, compile_images=False)
    pixels = np.stack([decode(f, emb.pixel_spec, want_thumbnail=False).pixels for f in files])
    return dict(zip([f.name for f in files], emb.encode_pixels(pixels), strict=True))


def min_cosine(a: dict[str, Any], b: dict[str, Any]) -> float:
    return round(min(float(np.dot(a[k], b[k])) for k in a), 5)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--photos", type=int, default=2000)
    p.add_argument("--device", default="cuda")
    p.add_argument("--out", default=str(ROOT / "bench" / "results-gpu.json"))
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    import torch

    from bench.run import b32_model

    if args.device == "cuda" and not torch.cuda.is_available():
        print("No CUDA GPU here: nothing to measure (run with --device cpu for a dry run).",
              file=sys.stderr)
        return 2
    results: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu (dry run)",
        "cores": os.cpu_count(), "torch": torch.__version__, "photos": args.photos}
    t0 = time.perf_counter()
    spec = b32_model()
    corpus = build_corpus(args.photos)
    results["setup_s"] = round(time.perf_counter() - t0, 1)
    repeats = 1 if args.device == "cpu" else 3
    runs = [e2e(spec, corpus, args.device) for _ in range(min(2, repeats))]
    results.update(runs[-1])
    results["gpu_index_e2e_runs"] = [r["gpu_index_e2e_img_per_s"] for r in runs]
    probes = [nvjpeg(spec, corpus, args.device) for _ in range(repeats)]
    rates = [f["gpu_nvjpeg_img_per_s"] for f, _ in probes]
    results["gpu_nvjpeg_img_per_s"] = statistics.median(rates)
    results["gpu_nvjpeg_runs"] = rates
    sample = sorted(corpus.glob("*.jpg"))[:64]
    reference = cpu_reference(spec, sample)
    results["gpu_min_cosine_to_cpu_fp32"] = min_cosine(reference, gpu_app_vectors(spec, sample, args.device))
    nv = probes[-1][1]
    results["nvjpeg_min_cosine_to_cpu_fp32"] = min_cosine(reference, {k: nv[k] for k in reference})
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
