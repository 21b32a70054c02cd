"""Ctrl-C during `inphotos index`: the first stops after the batch in flight and says so; a
second stops at once. The signals are real SIGINTs sent to this process while a stand-in
for `Library.index` runs inside the real command (the real index of the test photos is over
before a signal could land)."""

from __future__ import annotations

import os
import signal
import time

from inphotos.cli import main
from inphotos.records import IndexReport


def test_second_ctrl_c_stops_index_at_once(home, tiny_model, photos, monkeypatch, capsys) -> None:
    from inphotos.core.library import Library

    second_at: list[float] = []

    def index(self: Library, progress: object = None, control: object = None) -> IndexReport:
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 5
        while not control.cancelled and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.01)
        assert control.cancelled  # type: ignore[attr-defined]
        second_at.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)
        while time.monotonic() - second_at[0] < 10:  # a batch that takes long
            time.sleep(0.01)
        return IndexReport(cancelled=True)

    monkeypatch.setattr(Library, "index", index)
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite runs in the background
    code = main(["--home", str(home.data.parent), "--model", tiny_model, "index", str(photos)])
    stopped_after = time.monotonic() - second_at[0]
    err = capsys.readouterr().err
    assert stopped_after < 3, "the second Ctrl-C waited for the batch"
    assert code == 130
    assert "Ctrl-C again" in err
    assert "Traceback" not in err
    assert signal.getsignal(signal.SIGINT) is before  # the command puts back what it found
