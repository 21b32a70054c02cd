"""rclip's model files with random weights, so `make bench-instant` can time rclip offline.

rclip 3.3 runs ViT-B-32-256 (datacomp) as two ONNX files it downloads once; with no network
here, the same architecture with random weights is exported in its layout (speed does not
depend on the weight values): `$RCLIP_DATADIR/ViT-B-32-256-datacomp_s34b_b86k/{textual,visual}.onnx`
and the tokenizer vocabulary. Both take the full input rclip feeds them (77 tokens; 256 px).
"""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path
from typing import Any

SUBDIR = "ViT-B-32-256-datacomp_s34b_b86k"


def _dynamic_attention(model: Any) -> None:
    """Every attention block exported with a dynamic batch (see `text_onnx._attention`)."""
    from open_clip.transformer import ResidualAttentionBlock

    from inphotos.ml.text_onnx import _attention

    for module in model.modules():
        if isinstance(module, ResidualAttentionBlock):
            def attention(self: Any, q_x: Any, k_x: Any = None, v_x: Any = None,
                          attn_mask: Any = None) -> Any:
                return _attention(self.attn, q_x, 0.0 if attn_mask is None else attn_mask)

            module.attention = types.MethodType(attention, module)


def make(datadir: Path) -> Path:
    """Write rclip's files under `datadir` (once); returns `datadir`."""
    import open_clip
    import torch

    target = datadir / SUBDIR
    if (target / "visual.onnx").exists() and (target / "textual.onnx").exists():
        return datadir
    target.mkdir(parents=True, exist_ok=True)
    model = open_clip.create_model("ViT-B-32-256").eval()
    _dynamic_attention(model)

    class Text(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, tokens: Any) -> Any:
            return self.m.encode_text(tokens)

    class Visual(Text):
        def forward(self, pixels: Any) -> Any:
            return self.m.encode_image(pixels)

    with torch.no_grad():
        torch.onnx.export(Text(), (torch.zeros(1, 77, dtype=torch.long),), str(target / "textual.onnx"),
                          dynamo=False, input_names=["input"], output_names=["output"], opset_version=17,
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        torch.onnx.export(Visual(), (torch.zeros(1, 3, 256, 256),), str(target / "visual.onnx"),
                          dynamo=False, input_names=["input"], output_names=["output"], opset_version=17,
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    vocab = Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz"
    (datadir / "tokenizer").mkdir(exist_ok=True)
    shutil.copy(vocab, datadir / "tokenizer" / vocab.name)
    return datadir


if __name__ == "__main__":
    print(make(Path(sys.argv[1])))
