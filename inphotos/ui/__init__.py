"""The desktop user interface (PyQt6)."""
