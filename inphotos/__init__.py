"""InPhotos: private, fully local semantic photo search."""

APP_NAME = "InPhotos"
#: The one place the version is written: pyproject.toml reads it from here (a plain string, so
#: the window and every command know it without importlib.metadata, ~0.06 s of each start).
__version__ = "0.1.0"
