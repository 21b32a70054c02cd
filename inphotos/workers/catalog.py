"""What the engine can tell the window without doing any work: the recommended models, whether
a model name is well formed, and which file names are images.

The window imports these from here, never from the engine, so that `ui/` stays above the one
layer where Qt meets the engine.
"""

from __future__ import annotations

from inphotos.core.formats import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, is_image_name, is_video_name
from inphotos.errors import ModelError
from inphotos.ml.models import RECOMMENDED, Recommended, parse_spec

__all__ = ["IMAGE_EXTENSIONS", "QUERY_EXTENSIONS", "RECOMMENDED", "Recommended", "is_image_name",
           "is_query_file", "model_spec_problem"]

#: Files a "find similar" can start from: images, and videos (by their first frame).
QUERY_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS


def is_query_file(name: str) -> bool:
    return is_image_name(name) or is_video_name(name)


def model_spec_problem(spec: str) -> str | None:
    """Why `spec` is not a usable model name, or None when it is well formed."""
    try:
        parse_spec(spec)
    except ModelError as e:
        return str(e)
    return None
