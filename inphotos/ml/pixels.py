"""What a model wants as image input, stated without torch or Pillow.

The model (ml/) says it; the decoder (core/imaging) produces it. Living here keeps the
import direction one way: core reads the model's needs, the model never reads core.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PixelSpec:
    """How the model wants its pixels: square `size`, per-channel mean and std."""

    size: int = 224
    mean: tuple[float, float, float] = (0.48145466, 0.4578275, 0.40821073)
    std: tuple[float, float, float] = (0.26862954, 0.26130258, 0.27577711)
    resize_mode: str = "shortest"  # "shortest", "longest" or "squash"
    interpolation: str = "bicubic"  # "bicubic", "bilinear", "nearest" or "lanczos"
