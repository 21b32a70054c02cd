"""InPhotos: private, fully local semantic photo search."""

from typing import Any

APP_NAME = "InPhotos"


def __getattr__(name: str) -> Any:
    # The version is looked up on first use: importlib.metadata costs ~0.1 s, a third of a
    # command-line search answered by the running app.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("inphotos")
        except PackageNotFoundError:  # running from a source tree that was never installed
            value = "0.0.0"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'inphotos' has no attribute {name!r}")
