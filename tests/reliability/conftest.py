"""The reliability suite attacks the app too: it shares the app's window fixture."""

from tests.ui.conftest import window  # noqa: F401 - a fixture, used by name
