"""Loading weights without holding the model twice in memory.

open_clip builds the model, reads the whole checkpoint into memory and copies it in: for a
moment both copies are resident (1.2 GB for ViT-B-32). Here the checkpoint is memory-mapped
and its tensors are assigned into the model instead of copied, so peak memory stays near
one copy. open_clip's own conversion steps (old formats, resized position embeddings) still
run; any surprise falls back to open_clip's plain loader.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _mmap_checkpoints() -> Iterator[None]:
    from open_clip import factory

    original = factory.load_state_dict

    def load_state_dict(checkpoint_path: str, device: Any = "cpu", weights_only: bool = True) -> Any:
        import torch

        if str(checkpoint_path).endswith(".safetensors"):
            return original(checkpoint_path, device=device, weights_only=weights_only)
        try:
            checkpoint = torch.load(
                checkpoint_path, map_location=device, weights_only=weights_only, mmap=True
            )
        except (RuntimeError, ValueError, TypeError):  # a legacy (non-zip) file cannot be mapped
            return original(checkpoint_path, device=device, weights_only=weights_only)
        if isinstance(checkpoint, dict) and "state_dict" in checkpoint:
            checkpoint = checkpoint["state_dict"]
        if checkpoint and next(iter(checkpoint)).startswith("module"):
            checkpoint = {k[7:]: v for k, v in checkpoint.items()}
        return checkpoint

    factory.load_state_dict = load_state_dict
    try:
        yield
    finally:
        factory.load_state_dict = original


def load_weights_lean(model: Any, checkpoint_path: str) -> None:
    """open_clip's `load_checkpoint`, with the checkpoint mapped and assigned, not copied."""
    import open_clip

    model.load_state_dict = functools.partial(model.load_state_dict, assign=True)
    try:
        with _mmap_checkpoints():
            open_clip.load_checkpoint(model, checkpoint_path)
    finally:
        del model.load_state_dict


class _DropRandomInitNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No pretrained weights loaded")


@contextlib.contextmanager
def weights_loaded_separately() -> Iterator[None]:
    """Silence open_clip's "initialized randomly" notice: the weights follow right after."""
    notice = _DropRandomInitNotice()
    root = logging.getLogger()
    root.addFilter(notice)
    try:
        yield
    finally:
        root.removeFilter(notice)
