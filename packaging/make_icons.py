"""Rasterise resources/icons/inphotos.svg into the PNG, .ico and .icns files the platforms want.

Run by `make icons` after editing the SVG; the outputs are committed (they are small), so
building the app never needs an SVG renderer. Rasterises with `rsvg-convert` (Debian/Ubuntu:
librsvg2-bin; macOS: brew install librsvg) or, if that is missing, the cairosvg module; Pillow
writes the .ico and .icns.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "inphotos.svg"
# freedesktop hicolor sizes, plus 1024 for the macOS .icns.
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def rasterise(size: int) -> Image.Image:
    """The SVG rendered at size x size pixels (each size rendered, not scaled down)."""
    if shutil.which("rsvg-convert"):
        png = subprocess.run(
            ["rsvg-convert", "-w", str(size), "-h", str(size), str(SVG)],
            check=True, capture_output=True,
        ).stdout
    else:
        import cairosvg  # only for this script, never a dependency of the app

        png = cairosvg.svg2png(url=str(SVG), output_width=size, output_height=size)
    return Image.open(io.BytesIO(png)).convert("RGBA")


def main() -> int:
    images = {size: rasterise(size) for size in PNG_SIZES}
    for size, image in images.items():
        image.save(ICONS / f"inphotos-{size}.png", optimize=True)
    ico = [images[s] for s in ICO_SIZES]
    ico[-1].save(ICONS / "inphotos.ico", sizes=[(s, s) for s in ICO_SIZES], append_images=ico[:-1])
    images[1024].save(ICONS / "inphotos.icns", append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)])
    for path in sorted(ICONS.iterdir()):
        sys.stdout.write(f"{path.stat().st_size:>8}  {path.relative_to(ICONS.parent.parent)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
