"""The text tower without torch: CLIP's tokenizer in plain Python and the tower in ONNX Runtime.

A text search needs only the text tower, yet loading it through open_clip costs torch's import,
open_clip's (which pulls in `transformers` for CoCa) and building both towers: 10-25 s before
the first query. Here the text tower is exported once from the loaded open_clip model to an
ONNX file in the cache (`export_text_tower`, which needs torch), and from then on a search
loads just that file: `import onnxruntime` and a session, under a second, no torch at all.

Only plain CLIP text towers are exported (a causal mask, argmax or end-of-text pooling, and
open_clip's default BPE tokenizer, which `ClipTokenizer` reproduces token for token); others
(SigLIP, multilingual models) keep the torch path. The tokens are cut at the longest query's
end-of-text, as in `fast.encode_text_short`: with a causal mask the result is the same.

This module imports neither torch nor onnxruntime at import time.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import html
import json
import logging
import marshal
import os
import re
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL_FILE = "text.onnx"
WEIGHTS_FILE = "text.weights"  # beside the graph, so ONNX Runtime maps it instead of copying it
INFO_FILE = "text.json"
TABLES_FILE = "tokenizer.marshal"
_NO_MERGE = 1 << 30
_PLAIN = re.compile(r"[ -%'-~]*")  # printable ASCII without "&" (no HTML entity, no mojibake)
#: Written into the info file; a different number makes old exports be redone.
FORMAT = 2


@functools.lru_cache(maxsize=1)
def _bpe_file() -> str:
    import importlib.util

    found = importlib.util.find_spec("open_clip")  # locates the package without importing it
    if found is None or not found.submodule_search_locations:
        raise FileNotFoundError("open_clip is not installed")
    return os.path.join(next(iter(found.submodule_search_locations)), "bpe_simple_vocab_16e6.txt.gz")


def _bytes_to_unicode() -> dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs], strict=True))


class ClipTokenizer:
    """open_clip's `SimpleTokenizer` (clean="lower", no reduction) returning numpy arrays."""

    def __init__(self, context_length: int = 77, tables: Path | None = None) -> None:
        import regex

        self.context_length = context_length
        self.byte_encoder = _bytes_to_unicode()
        special = ["<start_of_text>", "<end_of_text>"]
        try:  # open_clip's vocabulary, already parsed (~10x faster than parsing it again)
            with open(tables or "", "rb") as f:
                self.encoder, self.bpe_ranks = marshal.load(f)
        except (OSError, ValueError, EOFError, TypeError):
            self.encoder, self.bpe_ranks = self._parse_vocabulary(special)
            if tables is not None:
                with contextlib.suppress(OSError):
                    tables.write_bytes(marshal.dumps((self.encoder, self.bpe_ranks)))
        self.cache: dict[str, str] = {t: t for t in special}
        self.pat = regex.compile(
            "|".join(special) + r"""|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE,
        )
        self.sot = self.encoder[special[0]]
        self.eot = self.encoder[special[1]]

    def _parse_vocabulary(self, special: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        with gzip.open(_bpe_file()) as f:
            lines = f.read().decode("utf-8").split("\n")
        merges = [tuple(m.split()) for m in lines[1 : 49152 - 256 - 2 + 1]]
        vocab = list(self.byte_encoder.values())
        vocab += [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += special
        # A merge is keyed "first second" (strings load faster than tuples).
        return {v: i for i, v in enumerate(vocab)}, {" ".join(m): i for i, m in enumerate(merges)}

    def _bpe(self, token: str) -> str:
        if token in self.cache:
            return self.cache[token]
        word: tuple[str, ...] = (*token[:-1], token[-1] + "</w>")
        while len(word) > 1:
            ranks = self.bpe_ranks
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            bigram = min(pairs, key=lambda p: ranks.get(f"{p[0]} {p[1]}", _NO_MERGE))
            if f"{bigram[0]} {bigram[1]}" not in ranks:
                break
            first, second = bigram
            merged: list[str] = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        out = " ".join(word)
        self.cache[token] = out
        return out

    def encode(self, text: str) -> list[int]:
        if not _PLAIN.fullmatch(text):  # ftfy and html leave plain printable ASCII as it is
            import ftfy

            text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
        text = " ".join(text.split()).strip().lower()
        ids: list[int] = []
        for token in self.pat.findall(text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self._bpe(token).split(" "))
        return ids

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """(N, context_length) int64 tokens, as open_clip's tokenizer gives them."""
        out = np.zeros((len(texts), self.context_length), np.int64)
        for row, text in enumerate(texts):
            ids = [self.sot, *self.encode(text), self.eot]
            if len(ids) > self.context_length:
                ids = ids[: self.context_length]
                ids[-1] = self.eot
            out[row, : len(ids)] = ids
        return out


def export_dir(cache_root: Path, key: str, weights: str) -> Path:
    """Where the text tower of a model (its key and weights signature) is kept."""
    import hashlib

    digest = hashlib.blake2b(weights.encode("utf-8", "surrogateescape"), digest_size=6).hexdigest()
    return cache_root / f"{key}-{digest}"


def exported(folder: Path) -> bool:
    """Whether `folder` holds a finished export of the current format."""
    try:
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return info.get("format") == FORMAT and (folder / MODEL_FILE).is_file()


class OnnxTextEncoder:
    """A text tower exported by `export_text_tower`, run by ONNX Runtime on the CPU (fp32).

    Thread-safe (ONNX Runtime sessions may be run from several threads).
    """

    def __init__(self, folder: Path, threads: int = 0) -> None:
        import onnxruntime as ort

        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
        self.dims = int(info["dims"])
        self.pool = str(info["pool"])
        self.eos_id = int(info.get("eos_id", 0))
        self.tokenizer = ClipTokenizer(int(info["context_length"]), folder / TABLES_FILE)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # Optimised once at export: loading then only maps the file (~0.2 s instead of ~0.7 s).
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        self.session = ort.InferenceSession(
            str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        self.name = str(info.get("model", ""))

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> (N, dims) unit vectors (float32)."""
        tokens = self.tokenizer(list(texts))
        if self.pool == "argmax":
            length = int(tokens.argmax(axis=-1).max()) + 1
        else:
            length = int((tokens == self.eos_id).argmax(axis=-1).max()) + 1
        (out,) = self.session.run(None, {"tokens": tokens[:, :length]})
        out = np.asarray(out, np.float32)
        norms = np.linalg.norm(out, axis=-1, keepdims=True)
        return np.ascontiguousarray(out / np.maximum(norms, 1e-12), dtype=np.float32)


def exportable(model: Any, tokenizer: Any) -> bool:
    """Whether `model`'s text tower and `tokenizer` are the plain CLIP kind exported here."""
    from open_clip.tokenizer import SimpleTokenizer, _clean_lower
    from open_clip.transformer import ResidualAttentionBlock

    from inphotos.ml.fast import short_text_supported

    blocks = getattr(getattr(model, "transformer", None), "resblocks", ())
    return (
        short_text_supported(model)
        and bool(blocks)
        and all(type(b) is ResidualAttentionBlock and b.attn.batch_first and b.attn._qkv_same_embed_dim
                and not hasattr(b, "ln_1_kv") for b in blocks)
        and type(tokenizer) is SimpleTokenizer
        and tokenizer.clean_fn is _clean_lower
        and tokenizer.reduction_fn is None
        and tokenizer.vocab_size == 49408
    )


_export_lock = threading.Lock()


def _attention(attn: Any, x: Any, mask: Any) -> Any:
    """`nn.MultiheadAttention` (batch first, self-attention) written so that ONNX export keeps
    the batch and length dynamic (the module's own code bakes the traced length in)."""
    import torch

    heads = attn.num_heads
    width = attn.embed_dim // heads
    q, k, v = torch.nn.functional.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    q, k, v = (t.reshape(x.shape[0], -1, heads, width).transpose(1, 2) for t in (q, k, v))
    scores = (q @ k.transpose(-2, -1)) * (width ** -0.5) + mask
    out = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(x.shape[0], -1, attn.embed_dim)
    return attn.out_proj(out)


def _text_tower(model: Any) -> Any:
    """An fp32 copy of `model`'s text tower as a module of the tokens (cut at their end).

    A copy: the model itself may be in bf16 and in use on other threads.
    """
    import copy

    import torch
    from open_clip.transformer import text_global_pool

    class TextTower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.token_embedding = copy.deepcopy(model.token_embedding).float()
            self.transformer = copy.deepcopy(model.transformer).float()
            self.ln_final = copy.deepcopy(model.ln_final).float()
            proj = model.text_projection
            self.linear = copy.deepcopy(proj).float() if isinstance(proj, torch.nn.Linear) else None
            self.register_buffer("projection", None if proj is None or self.linear is not None
                                 else proj.detach().float().clone())
            self.register_buffer("positions", model.positional_embedding.detach().float().clone())
            self.register_buffer("mask", model.attn_mask.detach().float().clone())
            self.pool = model.text_pool_type
            self.eos_id = getattr(model, "text_eos_id", None)

        def forward(self, tokens: Any) -> Any:
            length = tokens.shape[1]
            x = self.token_embedding(tokens) + self.positions[:length]
            mask = self.mask[:length, :length]
            for block in self.transformer.resblocks:
                x = x + block.ls_1(_attention(block.attn, block.ln_1(x), mask))
                x = x + block.ls_2(block.mlp(block.ln_2(x)))
            x = text_global_pool(self.ln_final(x), tokens, self.pool, eos_token_id=self.eos_id)
            if self.linear is not None:
                return self.linear(x)
            return x if self.projection is None else x @ self.projection

    return TextTower().eval()


def _optimise(source: Path, target: Path) -> None:
    """Save `source` optimised by ONNX Runtime (portable "extended" level) with its weights in
    a separate file, so that loading it needs neither optimising nor copying."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(target)
    options.add_session_config_entry(
        "session.optimized_model_external_initializers_file_name", WEIGHTS_FILE)
    options.add_session_config_entry(
        "session.optimized_model_external_initializers_min_size_in_bytes", "1024")
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def export_text_tower(model: Any, tokenizer: Any, folder: Path, name: str) -> bool:
    """Export `model`'s text tower (in fp32) into `folder`; False when it is not exportable.

    Written into a temporary folder and renamed, so a crash leaves no half export behind.
    """
    import shutil
    import tempfile
    import time

    import torch

    if not exportable(model, tokenizer):
        return False
    with _export_lock:
        if exported(folder):
            return True
        t0 = time.perf_counter()
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
        try:
            tower = _text_tower(model)
            tokens = torch.from_numpy(ClipTokenizer(tokenizer.context_length)(["a photo of a dog"]))
            # torch's exporter warns about its own deprecation; the user has nothing to do.
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dims = int(tower(tokens[:, :8]).shape[-1])
                torch.onnx.export(
                    tower, (tokens[:, :8],), str(tmp / "raw.onnx"), dynamo=False,
                    input_names=["tokens"], output_names=["vector"], opset_version=17,
                    dynamic_axes={"tokens": {0: "batch", 1: "length"}, "vector": {0: "batch"}},
                )
            pool, eos_id = tower.pool, int(tower.eos_id or 0)
            del tower
            _optimise(tmp / "raw.onnx", tmp / MODEL_FILE)
            (tmp / "raw.onnx").unlink()
            ClipTokenizer(tokenizer.context_length, tmp / TABLES_FILE)
            info = {
                "format": FORMAT, "model": name, "dims": dims, "pool": pool,
                "eos_id": eos_id, "context_length": int(tokenizer.context_length),
            }
            (tmp / INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("Exported the text tower of %s in %.1f s", name, time.perf_counter() - t0)
    return True
