"""Getting a model's weights onto this computer, and telling a network failure from others.

Weights of built-in and hf-hub models are fetched into huggingface_hub's usual cache, with
progress; a cached model is found with no network access at all. A network failure is
recognised by its type (and errno), never by the words of its message.
"""

from __future__ import annotations

import errno
import importlib
import logging
import os
import socket
import ssl
import urllib.error
from collections.abc import Callable
from typing import Any

from inphotos.errors import DownloadError
from inphotos.ml.models import ModelSpec, hub_repo, parse_spec

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)

#: errnos of a network that cannot be reached (socket.gaierror covers name resolution).
_NETWORK_ERRNOS = frozenset(
    getattr(errno, name) for name in (
        "ENETUNREACH", "ENETDOWN", "ENETRESET", "EHOSTUNREACH", "EHOSTDOWN", "ECONNREFUSED",
        "ECONNRESET", "ECONNABORTED", "ETIMEDOUT",
    ) if hasattr(errno, name)
)


def _network_error_types() -> tuple[type[BaseException], ...]:
    """Exception types that mean "the network failed", from whichever clients are installed."""
    found: list[type[BaseException]] = [
        ConnectionError, TimeoutError, socket.gaierror, socket.herror, ssl.SSLError,
        urllib.error.URLError,
    ]
    candidates = {
        "huggingface_hub.errors": ("LocalEntryNotFoundError", "OfflineModeIsEnabled", "HfHubHTTPError"),
        "httpx2": ("TransportError",),
        "httpx": ("TransportError",),
        "requests.exceptions": ("ConnectionError", "Timeout", "HTTPError"),
        "urllib3.exceptions": ("HTTPError",),
    }
    for module, names in candidates.items():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        found += [t for t in (getattr(mod, n, None) for n in names) if isinstance(t, type)]
    return tuple(found)


def is_network_error(e: BaseException) -> bool:
    """Whether `e`, or an exception it was raised from, is a network failure (by type)."""
    types = _network_error_types()
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, types):
            return True
        if isinstance(cur, OSError) and cur.errno in _NETWORK_ERRNOS:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def hub_files(spec: ModelSpec) -> tuple[str, list[str], dict[str, Any]] | None:
    """(repo, candidate file names, pretrained cfg) of a model's weights on the hub.

    The names are tried in open_clip's own order (safetensors first), so the file fetched
    here is the one open_clip then finds in the cache.
    """
    import open_clip
    from open_clip import pretrained as oc_pretrained

    if spec.kind == "hf-hub":
        name = oc_pretrained.HF_WEIGHTS_NAME
        return hub_repo(spec), [*oc_pretrained._get_safe_alternatives(name), name], {}
    cfg = open_clip.get_pretrained_cfg(spec.arch, spec.pretrained or "")
    hub = cfg.get("hf_hub", "") if cfg else ""
    if not hub:
        return None
    model_id, filename = os.path.split(hub)
    filename = filename or "open_clip_pytorch_model.bin"
    return model_id, [*oc_pretrained._get_safe_alternatives(filename), filename], dict(cfg)


def cached_weights(spec_text: str) -> str | None:
    """The weights file of a built-in or hf-hub model if it is already downloaded (no network)."""
    spec = parse_spec(spec_text)
    if spec.kind == "local-dir":
        return None
    files = hub_files(spec)
    if files is None:
        return None
    from huggingface_hub import try_to_load_from_cache

    model_id, names, _ = files
    for name in names:
        found = try_to_load_from_cache(model_id, name)
        if isinstance(found, str) and os.path.isfile(found):
            return found
    return None


def download_weights(spec_text: str, progress: ProgressFn | None = None) -> str | None:
    """Fetch a built-in model's weights into the usual cache, reporting bytes as they arrive.

    Returns the weights file (at once, without network, when already cached), or None when
    there is nothing to download (local-dir, or weights open_clip fetches by URL).

    Raises:
        DownloadError: offline, blocked or interrupted.
    """
    spec = parse_spec(spec_text)
    if spec.kind == "local-dir":
        return None
    cached = cached_weights(spec_text)
    if cached:
        return cached
    files = hub_files(spec)
    if files is None:
        return None
    from huggingface_hub import hf_hub_download
    from tqdm.auto import tqdm as base_tqdm

    class _Progress(base_tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the bar
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            r = super().update(n)
            if progress is not None and self.total:
                progress(int(self.n), int(self.total))
            return r

    model_id, names, _ = files
    last: BaseException | None = None
    for name in names:
        try:
            return str(hf_hub_download(model_id, name, tqdm_class=_Progress))
        except Exception as e:  # try the next alternative, report the last failure
            last = e
    raise DownloadError(
        f"Could not download the model {spec.text} ({type(last).__name__}). Check the internet "
        "connection."
    ) from last
