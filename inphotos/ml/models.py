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
    note: str  # in plain words: speed, quality, languages
    details: str = ""  # benchmark figures, for those who ask for them


# The notes say only what `make bench-models` measured on a CPU (docs/benchmarks.md, "The
# recommended models on this CPU") and the published COCO text→image R@1 of the weights.
RECOMMENDED = (
    Recommended(
        "ViT-B-32:laion2b_s34b_b79k",
        "Balanced (default)",
        "Fast on any laptop: the quickest of these to index without a graphics card, with "
        "good matches for everyday searches. Searches in English.",
        "Measured here (docs/benchmarks.md): 5.3 photos/s in fp32, 19.6 in bf16 (model only, "
        "random weights); COCO text→image recall@1 39.3; 512-dimensional vectors; a 600 MB "
        "download.",
    ),
    Recommended(
        "MobileCLIP-S1:datacompdr",
        "Compact",
        "A smaller download, but about 2× slower to index than the default on a computer "
        "without a graphics card (5× on processors with bfloat16 units). Searches in English.",
        "Measured here: 0.59× the default's photos per second in fp32 (3.2 against 5.3), 0.2× "
        "in bf16.",
    ),
    Recommended(
        "ViT-L-14:datacomp_xl_s13b_b90k",
        "Most accurate",
        "The largest model here; about 14× slower to index than the default without a "
        "graphics card, and about twice the memory. Searches in English.",
        "Measured here: 0.07× the default's photos per second in fp32 (0.37 against 5.3); "
        "2.8 GB while indexing; 768-dimensional vectors; a 1.7 GB download.",
    ),
    Recommended(
        "xlm-roberta-base-ViT-B-32:laion5b_s13b_b90k",
        "Multilingual",
        "Search in many languages (German, Spanish, Chinese, …). Its speed could not be "
        "measured here.",
        "Trained on LAION-5B with an XLM-RoBERTa text encoder; 512-dimensional vectors.",
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


def check_spec(spec: ModelSpec) -> None:
    """Refuse a model that cannot exist, in milliseconds and without importing torch: a missing
    model folder, an unknown architecture, or weights open_clip does not publish for it.

    Raises:
        ModelError: what is wrong (the same words the loader would use, seconds later).
    """
    if spec.kind == "local-dir":
        folder = spec.arch[len(LOCAL_DIR) :]
        if not os.path.isdir(folder):
            raise ModelError(f"Model folder {folder} does not exist")
        if not os.path.isfile(os.path.join(folder, CONFIG_FILE)):
            raise ModelError(f"Model folder {folder} has no {CONFIG_FILE}")
        return
    if spec.kind != "builtin":
        return
    base = _open_clip_config_dir()
    if base is None or spec.arch.endswith("-quickgelu"):
        return  # unknown here; the loader decides
    if not os.path.isfile(os.path.join(base, f"{spec.arch}.json")):
        raise ModelError(f"Unknown model architecture {spec.arch!r}")
    tags = _published_tags(os.path.join(os.path.dirname(base), "pretrained.py")).get(spec.arch)
    if tags is not None and spec.pretrained not in tags and not os.path.isfile(spec.pretrained or ""):
        raise ModelError(
            f"Unknown weights {spec.pretrained!r} for {spec.arch}; known: {', '.join(tags) or 'none'}")


def _published_tags(source: str) -> dict[str, list[str]]:
    """open_clip's published weights by architecture (see `_published`)."""
    return {arch: list(tags) for arch, tags in _published(source).items()}


def _published(source: str) -> dict[str, dict[str, str]]:
    """open_clip's published weights, {arch: {tag: hf_hub location or ""}}, read from its
    `pretrained.py` as text (importing open_clip imports torch: seconds). Empty when the file
    reads otherwise."""
    import ast

    try:
        with open(source, encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return {}

    def hub_of(cfg: ast.expr) -> str:
        if isinstance(cfg, ast.Call):
            for k in cfg.keywords:
                if k.arg == "hf_hub" and isinstance(k.value, ast.Constant):
                    return str(k.value.value)
        return ""

    tables: dict[str, dict[str, str]] = {}
    by_arch: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            continue
        name, value = node.targets[0].id, node.value
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "dict"):
            tables[name] = {k.arg: hub_of(k.value) for k in value.keywords if k.arg}
        elif name == "_PRETRAINED" and isinstance(value, ast.Dict):
            for key, table in zip(value.keys, value.values, strict=False):
                if (isinstance(key, ast.Constant) and isinstance(table, ast.Name)
                        and table.id in tables):
                    by_arch[str(key.value)] = tables[table.id]
    return by_arch


def weights_on_hub(spec: ModelSpec) -> tuple[str, list[str]] | None:
    """(repository, candidate file names) of a model's weights on the hub, found without
    importing torch; None for a model folder, or when it cannot be told this way."""
    if spec.kind == "hf-hub":
        return hub_repo(spec), ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
    base = _open_clip_config_dir()
    if spec.kind != "builtin" or base is None:
        return None
    hub = _published(os.path.join(os.path.dirname(base), "pretrained.py")).get(
        spec.arch, {}).get(spec.pretrained or "", "")
    if not hub:
        return None
    repo, filename = os.path.split(hub)  # as open_clip reads it: "org/repo/" or "org/repo/file"
    filename = filename or "open_clip_pytorch_model.bin"
    stem, ext = os.path.splitext(filename)
    safe = "open_clip_model.safetensors" if filename == "open_clip_pytorch_model.bin" else (
        stem + ".safetensors" if ext in (".bin", ".pth") else "")
    return repo, [n for n in (safe, filename) if n]


def weights_maybe_cached(spec: ModelSpec) -> bool:
    """Whether a model's weights may already be on this computer (told without torch or the
    network): True unless they are known to be missing from the download cache."""
    found = weights_on_hub(spec)
    if found is None:
        return True
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - open_clip depends on it
        return True
    repo, names = found
    return any(isinstance(try_to_load_from_cache(repo, n), str) for n in names)


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
