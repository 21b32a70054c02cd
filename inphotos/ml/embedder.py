"""The CLIP embedder: loads an open_clip model and turns pixels and text into unit vectors.

Imports torch lazily. Every failure a user can cause (offline first download, damaged weights,
unknown model name) becomes a `ModelError` that says what happened; its `advice` names the way
out, which the caller (app or CLI) words in its own terms. A failure of another kind inside
the model's code is a bug and propagates as it is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inphotos.errors import Advice, DownloadError, ModelError
from inphotos.ml.download import (
    ProgressFn,
    cached_weights,
    download_weights,
    hub_files,
    is_network_error,
)
from inphotos.ml.fast import (
    COMPILE_MIN_PHOTOS_COLD,
    COMPILE_MIN_PHOTOS_WARM,
    EAGER_FIRST_PHOTOS,
    CompiledImageTower,
    bf16_is_faster,
    encode_text_short,
    short_text_supported,
)
from inphotos.ml.hub import cache_first
from inphotos.ml.models import (
    CONFIG_FILE,
    ModelSpec,
    parse_spec,
)
from inphotos.ml.pixels import PixelSpec
from inphotos.ml.weights import load_weights_lean, weights_loaded_separately

__all__ = ["ClipEmbedder", "cached_weights", "download_weights", "pick_device"]

log = logging.getLogger(__name__)

# torch's OpenMP threads spin between operations by default, burning the cores the decode
# threads need during indexing; passive waiting measured ~8% faster end to end on 2 cores.
# (Read when torch is first imported, which happens in this package only.) It used to double
# a text query's time too; text queries now run in ONNX Runtime (text_onnx), whose own thread
# pool ignores it, so only models whose text tower cannot be exported still pay that.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _loading_error_types() -> tuple[type[BaseException], ...]:
    """What a damaged, truncated or mismatched weights file or config raises while loading.

    (torch.load, safetensors, load_state_dict, json.) Anything else is a bug in the code.
    """
    found: list[type[BaseException]] = [
        RuntimeError, ValueError, OSError, EOFError, KeyError, pickle.UnpicklingError,
    ]
    try:
        from safetensors import SafetensorError

        found.append(SafetensorError)
    except ImportError:  # pragma: no cover - open_clip depends on it
        pass
    import zipfile

    found.append(zipfile.BadZipFile)
    return tuple(found)


def pick_device(requested: str = "auto") -> str:
    """CUDA, then Apple MPS, then CPU; or exactly what was asked for if it is available."""
    import torch

    requested = (requested or "auto").lower()
    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError("The CUDA device was asked for, but no CUDA GPU is available",
                         advice=Advice.NONE)
    if requested == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ModelError("The MPS device was asked for, but Apple MPS is not available",
                             advice=Advice.NONE)
    if requested not in ("cpu", "mps") and not requested.startswith("cuda"):
        raise ModelError(f"Unknown device {requested!r}: use auto, cpu, cuda or mps",
                         advice=Advice.NONE)
    return requested


def _check_spec(spec: ModelSpec) -> None:
    import open_clip

    if spec.kind == "local-dir":
        folder = Path(spec.arch[len("local-dir:") :])
        if not folder.is_dir():
            raise ModelError(f"Model folder {folder} does not exist")
        if not (folder / CONFIG_FILE).is_file():
            raise ModelError(f"Model folder {folder} has no {CONFIG_FILE}")
        # open_clip loads *.safetensors, *.bin or *.pth and silently starts from random weights
        # when there is none (a glob is always truthy, hence next()).
        if not any(next(folder.glob(pat), None) for pat in ("*.safetensors", "*.bin", "*.pth")):
            raise ModelError(f"Model folder {folder} has no weights file (.safetensors, .bin or .pth)")
    elif spec.kind == "builtin":
        if spec.arch not in open_clip.list_models():
            raise ModelError(f"Unknown model architecture {spec.arch!r}")
        tags = open_clip.list_pretrained_tags_by_model(spec.arch)
        if spec.pretrained not in tags and not os.path.isfile(spec.pretrained or ""):
            raise ModelError(
                f"Unknown weights {spec.pretrained!r} for {spec.arch}; known: {', '.join(tags) or 'none'}"
            )


class ClipEmbedder:
    """An open_clip model ready to embed.

    Thread-safe: eager inference never mutates the model, so a text query from the search
    thread runs beside an image batch from the indexer instead of queueing behind it; the
    compiled image tower, which has state, guards itself (see `CompiledImageTower`).

    Args:
        cache_dir: where compiled graphs and speed verdicts are kept across runs (the caller
            decides; None keeps nothing on disk).
    """

    def __init__(
        self,
        spec_text: str,
        device: str = "auto",
        precision: str = "auto",
        progress: ProgressFn | None = None,
        compile_images: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        t0 = time.perf_counter()
        self.cache_dir = cache_dir
        self._prepare_lock = threading.Lock()
        self.spec = parse_spec(spec_text)
        import open_clip
        import torch

        _check_spec(self.spec)
        self.device = pick_device(device)
        if precision == "auto":
            if self.device == "cuda":
                precision = "fp16"
            elif self.device == "cpu" and bf16_is_faster(cache_dir):
                precision = "bf16"  # ~1.8x on CPUs with native bf16; vectors within 0.9999
            else:
                precision = "fp32"
        if precision not in ("fp32", "fp16", "bf16"):
            raise ModelError(f"Unknown precision {precision!r}: use auto, fp32, fp16 or bf16")
        self.precision = precision
        kwargs: dict[str, Any] = {}
        pretrained = self.spec.pretrained
        if self.spec.kind == "builtin":
            # Resolve the weights file ourselves: a cached model then loads with no network
            # access at all, and a first download reports its progress.
            weights = download_weights(self.spec.text, progress)
            files = hub_files(self.spec)
            if weights and files:
                cfg = files[2]
                pretrained = weights
                kwargs = {
                    "image_mean": cfg.get("mean"),
                    "image_std": cfg.get("std"),
                    "image_interpolation": cfg.get("interpolation"),
                    "image_resize_mode": cfg.get("resize_mode"),
                    "force_quick_gelu": bool(cfg.get("quick_gelu", False)),
                }
        elif self.spec.kind == "hf-hub":
            download_weights(self.spec.text, progress)  # with progress; open_clip finds it cached
        # On the CPU in fp32, weights are mapped and assigned rather than copied (half the
        # peak memory); other devices and precisions take open_clip's usual path.
        lean = self.device == "cpu" and precision in ("fp32", "bf16")
        checkpoint = self._checkpoint_file(pretrained) if lean else None

        def create() -> tuple[Any, Any, Any]:
            with weights_loaded_separately() if checkpoint else contextlib.nullcontext():
                model, _, preprocess = open_clip.create_model_and_transforms(
                    self.spec.arch,
                    pretrained=pretrained,
                    load_weights=checkpoint is None,
                    device=self.device,
                    precision="fp32" if checkpoint else precision,
                    **kwargs,
                )
            # Some tokenizers (multilingual models) come from the hub too.
            return model, preprocess, open_clip.get_tokenizer(self.spec.arch)

        try:
            # A model whose files are all cached loads with no network access at all.
            model, preprocess, tokenizer = cache_first(create, may_download=self.spec.kind != "local-dir")
            if checkpoint is not None:
                load_weights_lean(model, checkpoint)
                if precision == "bf16":
                    model = model.to(torch.bfloat16)
        except ModelError:
            raise
        except ImportError as e:
            raise ModelError(
                f"The model {self.spec.text} needs a Python package that is not installed: {e}"
            ) from e
        except Exception as e:
            if self.spec.kind != "local-dir" and is_network_error(e):
                raise DownloadError(
                    f"Could not download the model {self.spec.text} ({type(e).__name__}). "
                    "Check the internet connection."
                ) from e
            if not isinstance(e, _loading_error_types()):
                raise  # a TypeError, AttributeError... in the code: a bug, not the weights
            raise ModelError(
                f"The weights of the model {self.spec.text} are damaged or do not match its "
                f"configuration ({type(e).__name__}). Download them again or choose another model."
            ) from e
        model.eval()
        _release_freed_memory()  # the loading buffers, so indexing starts from a lower RSS
        self.model = model
        self.reference_preprocess = preprocess
        self.tokenizer = tokenizer
        cfg = getattr(model.visual, "preprocess_cfg", {}) or {}
        size = cfg.get("size", 224)
        size = size[0] if isinstance(size, (tuple, list)) else int(size)
        self.pixel_spec = PixelSpec(
            size=int(size),
            mean=tuple(float(x) for x in cfg.get("mean", PixelSpec.mean)),  # type: ignore[arg-type]
            std=tuple(float(x) for x in cfg.get("std", PixelSpec.std)),  # type: ignore[arg-type]
            resize_mode=str(cfg.get("resize_mode", "shortest")),
            interpolation=str(cfg.get("interpolation", "bicubic")),
        )
        self._dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]
        self._short_text = short_text_supported(model)
        self._compiled: CompiledImageTower | None = None
        self.compile_enabled = compile_images
        self.dims = 0
        self.dims = int(self.encode_text(["a photo"]).shape[1])
        log.info(
            "Loaded model %s on %s (%s, %d dims) in %.1f s",
            self.spec.text, self.device, precision, self.dims, time.perf_counter() - t0,
        )

    @property
    def name(self) -> str:
        return self.spec.text

    def _checkpoint_file(self, pretrained: str | None) -> str | None:
        """The weights file open_clip would load, when it is a local file we can map."""
        if self.spec.kind == "local-dir":
            from open_clip.factory import _find_checkpoint_in_dir

            return _find_checkpoint_in_dir(Path(self.spec.arch[len("local-dir:") :]))
        if pretrained and os.path.isfile(pretrained):
            return pretrained
        return None

    def _normalise(self, x: Any) -> np.ndarray:
        import torch

        x = torch.nn.functional.normalize(x.float(), dim=-1)
        return np.ascontiguousarray(x.cpu().numpy(), dtype=np.float32)

    def prepare(self, count: int, batch_size: int) -> None:
        """Get ready to embed `count` images in batches: compile the image tower if it pays.

        Compiling costs ~40 s the first time (seconds once cached) and gains up to ~1.6x on
        some CPUs and nothing on others, so it is tried only for a big enough job and kept
        only where it measured faster (see `CompiledImageTower`).
        """
        if not self.compile_enabled or self.device != "cpu":
            return
        with self._prepare_lock:
            if self._compiled is not None:
                return
            tower = CompiledImageTower(self.model, batch_size, self.spec.key, self.cache_dir)
            if tower.known_slower():
                return
            if tower.warm():
                needed = COMPILE_MIN_PHOTOS_WARM
            else:  # the newest photos go through first, then ~40 s of compiling
                tower.defer(EAGER_FIRST_PHOTOS)
                needed = COMPILE_MIN_PHOTOS_COLD + EAGER_FIRST_PHOTOS
            if count >= needed:
                log.info("Compiling the image tower for %d photos", count)
                self._compiled = tower

    def encode_pixels(self, batch: np.ndarray) -> np.ndarray:
        """(N, 3, S, S) normalised float32 pixels -> (N, dims) unit vectors."""
        import torch

        if len(batch) == 0:
            return np.zeros((0, self.dims), np.float32)
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device, self._dtype)
            tower = self._compiled
            if tower is not None and len(batch) <= tower.batch_size:
                out = tower.try_call(x)  # None while another thread runs it: go eager
                if out is not None:
                    return self._normalise(out)
            return self._normalise(self.model.encode_image(x))

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> (N, dims) unit vectors (the pass stops at the longest query's end)."""
        import torch

        with torch.inference_mode():
            tokens = self.tokenizer(list(texts)).to(self.device)
            if self._short_text:
                return self._normalise(encode_text_short(self.model, tokens))
            return self._normalise(self.model.encode_text(tokens))

    def encode_text_reference(self, texts: Sequence[str]) -> np.ndarray:
        """The full 77-token pass, as open_clip runs it: the reference for tests."""
        import torch

        with torch.inference_mode():
            tokens = self.tokenizer(list(texts)).to(self.device)
            return self._normalise(self.model.encode_text(tokens))

    def export_text_tower(self, folder: Path) -> bool:
        """Save the text tower alone for ONNX Runtime (see `text_onnx`); False if not exportable."""
        from inphotos.ml.text_onnx import export_text_tower

        return export_text_tower(self.model, self.tokenizer, folder, self.spec.text)

    def encode_images(self, images: Sequence[Any]) -> np.ndarray:
        """PIL images through open_clip's own preprocessing: the reference path."""
        import torch

        batch = torch.stack([self.reference_preprocess(im) for im in images]).numpy()
        return self.encode_pixels(batch)



def _release_freed_memory() -> None:
    """Give memory freed after loading back to the OS (glibc keeps it otherwise)."""
    import gc

    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
