"""A tiny open_clip model with random weights, saved as a `local-dir:` folder.

Used by the tests, the benchmarks and the bundle's `--self-test`: it goes through exactly the
loading code users run, without a download. Its embeddings carry no meaning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TINY_CONFIG: dict[str, Any] = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}


def make_tiny_model(folder: Path, seed: int = 0, model_cfg: dict[str, Any] | None = None) -> str:
    """Write `open_clip_config.json` and random weights into `folder`; returns the model spec."""
    import open_clip
    import torch
    from open_clip.model import CLIP

    folder.mkdir(parents=True, exist_ok=True)
    cfg = model_cfg or TINY_CONFIG
    torch.manual_seed(seed)
    model = CLIP(**cfg)
    (folder / "open_clip_config.json").write_text(
        json.dumps({"model_cfg": cfg, "preprocess_cfg": {}}, indent=2), encoding="utf-8"
    )
    torch.save(model.state_dict(), folder / "open_clip_pytorch_model.bin")
    del open_clip
    return f"local-dir:{folder}"
