"""Which numeric precision runs the image tower fastest on this CPU, and how faithfully.

    python -m bench.precision_probe

ViT-B-32 with random weights (speed does not depend on the values), batches of 32 at 224 px,
the torch threads InPhotos uses. Prints images/s (median of 5 runs) for eager fp32, bf16 and
int8 dynamic quantisation of the Linear layers, each with its lowest cosine to fp32.
"""

from __future__ import annotations

import copy
import statistics
import time
import warnings
from collections.abc import Callable

import torch


def _rate(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, runs: int = 5) -> float:
    with torch.inference_mode():
        fn(x)  # warm-up
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - t0)
    return len(x) / statistics.median(times)


def _min_cosine(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, ref: torch.Tensor) -> float:
    with torch.inference_mode():
        out = torch.nn.functional.normalize(fn(x).float(), dim=-1)
    return float((out * ref).sum(-1).min())


def main() -> None:
    import open_clip

    torch.manual_seed(0)
    tower = open_clip.create_model("ViT-B-32", pretrained=None).eval().visual
    x = torch.randn(32, 3, 224, 224)
    with torch.inference_mode():
        ref = torch.nn.functional.normalize(tower(x), dim=-1)

    bf16 = copy.deepcopy(tower).to(torch.bfloat16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation notice
        int8 = torch.ao.quantization.quantize_dynamic(copy.deepcopy(tower), {torch.nn.Linear},
                                                      dtype=torch.qint8)
    candidates: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
        "fp32": tower,
        "bf16": lambda t: bf16(t.to(torch.bfloat16)),
        "int8-dynamic": int8,
    }
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, fn in candidates.items():
        print(f"{name:13s} {_rate(fn, x):6.1f} img/s   min cosine to fp32 {_min_cosine(fn, x, ref):.5f}")


if __name__ == "__main__":
    main()
