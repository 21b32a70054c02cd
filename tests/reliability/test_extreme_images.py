"""An image of extreme aspect ratio (1×30,000 pixels) is decoded within a fixed memory
budget: the decode runs in a subprocess whose address space is capped (RLIMIT_AS), where
today's code asked for a 224×6,720,000 resize (4.5 GB) on the way to a 224×224 crop."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

DECODE = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
    from inphotos.core.imaging import decode
    from inphotos.ml.pixels import PixelSpec
    from inphotos.errors import DecodeError
    try:
        d = decode(sys.argv[1], PixelSpec(size=224))
        print("decoded", d.pixels.shape, d.thumbnail.size)
    except DecodeError as e:
        print("skipped", e, e.retry_later)
""")


@pytest.mark.parametrize("size", [(1, 30_000), (30_000, 1), (3, 60_000)])
def test_extreme_aspect_ratio_stays_within_memory(tmp_path: Path, size: tuple[int, int]) -> None:
    path = tmp_path / "strip.png"
    Image.new("RGB", size, (200, 30, 30)).save(path)
    r = subprocess.run([sys.executable, "-c", DECODE, str(path)], capture_output=True, text=True,
                       timeout=240, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    # Skipped for lack of memory means it tried (and without the cap, took gigabytes).
    assert r.stdout.startswith("decoded (3, 224, 224)"), r.stdout


def test_extreme_strip_in_a_library_is_indexed_once(library, counter, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    Image.new("RGB", (1, 30_000), (10, 200, 10)).save(root / "strip.png")
    library.add_folder(root)
    first = library.index()
    assert first.added == 1, first.skipped
    counter.images = 0
    again = library.index()
    assert (again.added, counter.images) == (0, 0)  # never retried in a loop
