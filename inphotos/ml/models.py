"""Model names in open_clip's vocabulary, the recommended list, and where each one's data lives.

Names are `ARCH:PRETRAINED` (built-in config + published weights), `hf-hub:ORG/REPO`, or
`local-dir:PATH` (a folder with `open_clip_config.json` and weights). This module does not
import torch.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

from inphotos.errors import DownloadError, ModelError

LOCAL_DIR = "local-dir:"
HF_HUB = "hf-hub:"




@dataclass(frozen=True)
class ModelSpec:
    """A parsed model name."""

    text: str
    kind: str  # "builtin", "hf-hub" or "local-dir"
    arch: str  # open_clip model name: "ViT-B-32", "hf-hub:org/repo" or "local-dir:/abs/path"
    pretrained: str | None

    @property
    def key(self) -> str:
        """A file-system-safe identity: one database per key."""
        if self.kind == "local-dir":
            path = self.arch[len(LOCAL_DIR) :]
            digest = hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()[:10]
            name = os.path.basename(path.rstrip("/\\")) or "model"
            base = f"local-{name}-{digest}"
        elif self.kind == "hf-hub":
            base = "hf-" + self.arch[len(HF_HUB) :]
        else:
            base = f"{self.arch}-{self.pretrained}"
        return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:120]


def parse_spec(text: str) -> ModelSpec:
    """Parse a model name.

    Raises:
        ModelError: the name is not in one of the three forms.
    """
    text = text.strip()
    if text.startswith(LOCAL_DIR):
        path = text[len(LOCAL_DIR) :]
        if not path:
            raise ModelError("local-dir: needs a folder, e.g. local-dir:/path/to/model")
        path = os.path.abspath(os.path.expanduser(path))
        return ModelSpec(LOCAL_DIR + path, "local-dir", LOCAL_DIR + path, None)
    if text.startswith(HF_HUB):
        if not text[len(HF_HUB) :].strip("/"):
            raise ModelError("hf-hub: needs a repository, e.g. hf-hub:timm/ViT-B-16-SigLIP")
        return ModelSpec(text, "hf-hub", text, None)
    arch, sep, pretrained = text.partition(":")
    if not sep or not arch or not pretrained:
        raise ModelError(
            f"Model {text!r} is not of the form ARCH:PRETRAINED (e.g. ViT-B-32:laion2b_s34b_b79k), "
            "hf-hub:ORG/REPO or local-dir:PATH"
        )
    return ModelSpec(text, "builtin", arch, pretrained)


@dataclass(frozen=True)
class Recommended:
    spec: str
    title: str
    note: str


# The notes say only what `make bench-models` measured on a CPU (docs/benchmarks.md, "The
# recommended models on this CPU") and the published COCO text→image R@1 of the weights.
RECOMMENDED = (
    Recommended(
        "ViT-B-32:laion2b_s34b_b79k",
        "Balanced (default)",
        "The fastest of these to index on a computer without a graphics card; "
        "COCO text→image R@1 39.3.",
    ),
    Recommended(
        "MobileCLIP-S1:datacompdr",
        "Compact",
        "About 2× slower to index than the default on a computer without a graphics card "
        "(5× on processors with bfloat16 units).",
    ),
    Recommended(
        "ViT-L-14:datacomp_xl_s13b_b90k",
        "Most accurate",
        "The largest model here; about 14× slower to index than the default without a "
        "graphics card, and about twice the memory.",
    ),
    Recommended(
        "xlm-roberta-base-ViT-B-32:laion5b_s13b_b90k",
        "Multilingual",
        "Search in many languages (German, Spanish, Chinese, ...). Its speed is not measured here.",
    ),
)


def _open_clip_config_dir() -> str | None:
    import importlib.util

    found = importlib.util.find_spec("open_clip")  # locates the package without importing torch
    if found is None or not found.submodule_search_locations:
        return None
    return os.path.join(next(iter(found.submodule_search_locations)), "model_configs")


#: The file every open_clip model folder and hf-hub repository holds its configuration in.
CONFIG_FILE = "open_clip_config.json"


def hub_repo(spec: ModelSpec) -> str:
    """The repository of an hf-hub model ("org/name")."""
    return spec.arch[len(HF_HUB) :].strip("/")


def fetch_hub_dims(spec: ModelSpec) -> int:
    """An hf-hub model's embedding size, fetching only its small config file (first use).

    So a new hf-hub model's library can open (and its window stay responsive) while the
    weights download in the background.

    Raises:
        DownloadError: offline, or no such repository.
        ModelError: the repository holds no open_clip model.
    """
    dims = known_dims(spec)
    if dims:
        return dims
    from huggingface_hub import hf_hub_download

    try:
        hf_hub_download(hub_repo(spec), CONFIG_FILE)
    except Exception as e:
        raise DownloadError(
            f"Could not download the model {spec.text} ({type(e).__name__}). Check the internet "
            "connection and the model's name."
        ) from e
    dims = known_dims(spec)
    if not dims:
        raise ModelError(f"{spec.text} has no usable {CONFIG_FILE}: it is not an open_clip model")
    return dims


def known_dims(spec: ModelSpec) -> int | None:
    """The embedding size from the model's config, without loading the model or using the
    network (None: unknown, e.g. an hf-hub model not downloaded yet)."""
    import json

    try:
        if spec.kind == "local-dir":
            path = os.path.join(spec.arch[len(LOCAL_DIR) :], CONFIG_FILE)
        elif spec.kind == "builtin":
            base = _open_clip_config_dir()
            if base is None:
                return None
            path = os.path.join(base, f"{spec.arch}.json")
        else:
            from huggingface_hub import try_to_load_from_cache

            found = try_to_load_from_cache(hub_repo(spec), CONFIG_FILE)
            if not isinstance(found, str):
                return None
            path = found
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
        cfg = cfg.get("model_cfg", cfg)
        return int(cfg["embed_dim"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
_SIGNATURE_CHUNK = 1 << 20


def weights_signature(spec: ModelSpec) -> str:
    """What identifies the weights a library's vectors came from ("" when unreadable).

    A published model's name pins its weights. A model folder can have its files replaced in
    place, so its signature is a quick fingerprint of its config and weight files (names,
    sizes, first and last MiB): cheap enough for every start, and without importing torch.
    """
    if spec.kind != "local-dir":
        return spec.text
    folder = spec.arch[len(LOCAL_DIR) :]
    h = hashlib.blake2b(digest_size=12)
    try:
        names = sorted(n for n in os.listdir(folder)
                       if n == CONFIG_FILE or n.endswith(WEIGHT_SUFFIXES))
        for name in names:
            path = os.path.join(folder, name)
            size = os.path.getsize(path)
            h.update(name.encode("utf-8", "surrogateescape") + b"\0" + size.to_bytes(8, "little"))
            with open(path, "rb") as f:
                h.update(f.read(_SIGNATURE_CHUNK))
                if size > 2 * _SIGNATURE_CHUNK:
                    f.seek(size - _SIGNATURE_CHUNK)
                    h.update(f.read(_SIGNATURE_CHUNK))
    except OSError:
        return ""
    return "files:" + h.hexdigest()
