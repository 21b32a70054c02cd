"""Shared set-up for the model tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def compile_trials_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled tower's tests start its trials with the first batch; the one test of the
    newest-photos-first deferral sets it again itself."""
    monkeypatch.setattr("inphotos.ml.embedder.EAGER_FIRST_PHOTOS", 0)
