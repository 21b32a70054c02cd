"""How far apart copies of a photo land, against different photos (by hand):

    python -m bench.duplicates_threshold [FOLDER]

Real photos (default: the JPEG wallpapers in /usr/share/backgrounds, `apt-get install
mate-backgrounds`) are copied byte for byte, re-encoded at JPEG quality 70, and resized to
1/2 and 1/4, then embedded by ViT-B-32 as InPhotos runs it (the full 224-pixel image tower,
random weights: no weights can be downloaded here). Prints the cosine distance of each copy to
its original, and of the closest different photos, which is what the default duplicate
threshold (core/duplicates.py) must sit between.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


def main(argv: list[str] | None = None) -> int:
    from bench.run import b32_model
    from inphotos.core.library import Library
    from inphotos.ml.embedder import ClipEmbedder
    from inphotos.paths import app_paths

    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else Path("/usr/share/backgrounds")
    photos = sorted(p for p in source.rglob("*.jpg"))
    if len(photos) < 4:
        print(f"Needs at least 4 JPEGs in {source}", file=sys.stderr)
        return 2
    spec = b32_model()
    emb = ClipEmbedder(spec, precision="fp32")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "photos"
        root.mkdir()
        for p in photos:
            shutil.copy(p, root / p.name)
        copies = photos[:6]
        for p in copies:
            img = Image.open(p).convert("RGB")
            shutil.copy(p, root / f"copy_{p.name}")
            img.save(root / f"reenc_{p.name}", quality=70)
            img.resize((img.width // 2, img.height // 2)).save(root / f"half_{p.name}", quality=90)
            img.resize((img.width // 4, img.height // 4)).save(root / f"quarter_{p.name}", quality=85)
        with Library(app_paths(Path(tmp) / "home"), model=spec, embedder_factory=lambda: emb,
                     workers=1, precision="fp32") as lib:
            lib.add_folder(root)
            lib.index()
            ids, vecs = lib.store.all_embeddings()
            names = {r.id: Path(r.path).name for r in lib.store.all_photos()}
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    dist = 1 - vecs @ vecs.T
    row = {names[int(i)]: k for k, i in enumerate(ids)}
    print("copy of                        exact    re-encoded  half      quarter")
    for p in copies:
        k = row[p.name]
        cells = [dist[k, row[f"{pre}_{p.name}"]] for pre in ("copy", "reenc", "half", "quarter")]
        print(f"{p.name[:30]:<30} " + "  ".join(f"{c:.6f}" for c in cells))
    originals = [row[p.name] for p in photos]
    sub = dist[np.ix_(originals, originals)]
    pairs = sorted((float(sub[a, b]), photos[a].name, photos[b].name)
                   for a in range(len(originals)) for b in range(a + 1, len(originals)))
    print("closest different photos:")
    for d, a, b in pairs[:6]:
        print(f"  {d:.6f}  {a}  {b}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
