"""InPhotos: private, fully local semantic photo search."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("inphotos")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

APP_NAME = "InPhotos"
