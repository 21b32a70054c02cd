"""Settings → Indexing: "Use a Ray cluster", and the library's next run goes through it."""

from __future__ import annotations

import pytest
from PyQt6.QtWidgets import QMessageBox

from inphotos.config import Settings
from inphotos.records import ClusterOptions
from inphotos.ui.dialogs import SettingsDialog


def test_the_cluster_fields_wait_for_the_checkbox_and_a_missing_address_is_refused(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    box = dialog.cluster_box
    assert not box.address_edit.isEnabled()
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))

    box.enabled_check.setChecked(True)
    assert box.address_edit.isEnabled()
    dialog.accept()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert "address" in warnings[-1]

    box.address_edit.setText("10.0.0.5:6379")
    box.path_map_edit.setText("/home/me/Photos")
    dialog.accept()
    assert "LOCAL=REMOTE" in warnings[-1]
    assert dialog.result() != SettingsDialog.DialogCode.Accepted


def test_a_cluster_chosen_in_settings_is_kept_and_used_by_the_next_indexing_run(
    window, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def choose(dialog: SettingsDialog) -> SettingsDialog.DialogCode:
        box = dialog.cluster_box
        box.enabled_check.setChecked(True)
        box.address_edit.setText(" ray://10.0.0.5:10001 ")
        box.read_combo.setCurrentIndex(box.read_combo.findData("send"))
        box.path_map_edit.setText("/home/me/Photos=/mnt/photos")
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", choose)
    window.open_settings()

    expected = ClusterOptions("ray://10.0.0.5:10001", "send", (("/home/me/Photos", "/mnt/photos"),))
    assert window.session.lib.cluster == expected
    assert window.session.lib.indexer().cluster == expected
    saved = Settings.load(window.paths.config_file)
    assert saved.cluster_options() == expected  # and after a restart
