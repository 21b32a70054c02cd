"""The model as the user sees it: the status-bar label, the download dialog, what to do when
the model cannot load (a message with a way out; browsing the library goes on), and changing
to another model or running it elsewhere."""

from __future__ import annotations

import logging
from pathlib import Path

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtWidgets import QFileDialog, QLabel, QMessageBox, QProgressDialog, QWidget

from inphotos import APP_NAME
from inphotos.errors import Advice, DownloadError, InPhotosError
from inphotos.workers.model_switch import ModelSwitch
from inphotos.workers.session import LibrarySession

log = logging.getLogger(__name__)

LOADING = "Loading model…"
BROWSING_ONLY = "Model unavailable: browsing only"

#: The app's own words for each way out the engine suggests.
ADVICE_TEXT = {
    Advice.RETRY: "Check the internet connection, then choose Retry.",
    Advice.USE_MODEL_FOLDER: "You can also use a model folder copied to this computer by hand.",
    Advice.FREE_SPACE: "Free some disk space, then rescan (F5).",
    Advice.UPDATE_APP: "Update InPhotos to open it.",
    Advice.CLOSE_OTHER: "Close the other InPhotos window first.",
    Advice.REPAIR: "InPhotos can rebuild the index from your photos; your photos and folders are kept.",
}


#: What the user reads when the model cannot be downloaded (no exception names, no flags).
OFFLINE_TEXT = (
    "InPhotos could not download its search model: this computer seems to be offline.\n\n"
    "You can browse your photos meanwhile; searching starts as soon as the model is here. "
    "InPhotos keeps trying quietly in the background."
)
WAITING_LABEL = "Model not downloaded yet: browsing only"


def explain(error: object) -> str:
    """An error's message, followed by the app's words for its way out (if any)."""
    if isinstance(error, DownloadError):
        return f"{OFFLINE_TEXT}\n\n{ADVICE_TEXT[Advice.USE_MODEL_FOLDER]}"
    text = str(error)
    advice = error.advice if isinstance(error, InPhotosError) else Advice.NONE
    extra = ADVICE_TEXT.get(advice, "")
    return f"{text}\n\n{extra}" if extra and extra not in text else text


class ModelController(QObject):
    """Keeps the model label true, offers a way out when the model fails, and switches models."""

    status = pyqtSignal(str)  # a line for the status bar
    switched = pyqtSignal(str)  # the model now in use, once its index is complete

    def __init__(self, session: LibrarySession, window: QWidget) -> None:
        super().__init__(window)
        self.session = session
        self.window = window
        self.label = QLabel(LOADING, window)
        self.message: QMessageBox | None = None
        self._download: QProgressDialog | None = None
        self._model_name = ""
        self.state = "loading"  # how the model is doing, in a few words (for About)
        self._switch: ModelSwitch | None = None
        session.model.model_ready.connect(self.ready)
        session.model.model_failed.connect(self.failed)
        session.model.download_progress.connect(self.download_progress)

    def load(self) -> None:
        """Load the open library's model in the background."""
        self._model_name = self.session.lib.spec.text
        self.label.setText(LOADING)
        self.state = "loading"
        self.session.model.load()

    def run_elsewhere(self, device: str, precision: str) -> None:
        """The same model (and index) on another device or precision: it loads again."""
        self.session.lib.use_model_options(device, precision)
        self.load()

    def switch_to(self, spec: str) -> None:
        """Re-index into the new model's own database; switch when it is complete."""
        self.cancel_switch()
        switch = ModelSwitch(self.session, spec, self)
        switch.status.connect(self.status)
        switch.failed.connect(self._on_switch_failed)
        switch.done.connect(self._on_switched)
        self._switch = switch
        switch.start()

    def cancel_switch(self, timeout_ms: int = 5000) -> None:
        if self._switch is not None:
            self._switch.cancel(timeout_ms)
            self._switch = None

    def _on_switch_failed(self, text: str) -> None:
        self._switch = None
        QMessageBox.warning(self.window, APP_NAME, text)

    def _on_switched(self, spec: str) -> None:
        self._switch = None
        self.status.emit(f"Switched to {spec}")
        self.switched.emit(spec)

    def ready(self, description: str) -> None:
        self._close_download()
        self.label.setText(f"Model: {description}")
        _, _, device = description.rpartition(" on ")
        self.state = f"runs on {device}" if device else ""
        if self.message is not None:  # a background retry succeeded: the warning is stale
            self.message.close()
            self.message = None

    def failed(self, error: object) -> None:
        """Say what happened and offer a way out; the library stays browsable meanwhile."""
        self._close_download()
        offline = isinstance(error, DownloadError)
        self.label.setText(WAITING_LABEL if offline else BROWSING_ONLY)
        self.state = "not downloaded yet: browsing only" if offline else "unavailable: browsing only"
        if self.message is not None:
            self.message.close()
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, explain(error), parent=self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        use_folder = box.addButton("Use a model folder…", QMessageBox.ButtonRole.AcceptRole)
        can_retry = isinstance(error, InPhotosError) and error.advice is Advice.RETRY
        retry = box.addButton("Retry", QMessageBox.ButtonRole.ResetRole) if can_retry else None
        box.addButton(QMessageBox.StandardButton.Close)

        def chosen(button: object) -> None:
            if button is use_folder:
                folder = QFileDialog.getExistingDirectory(
                    self.window, "Choose a model folder", str(Path.home()))
                if folder:
                    self.switch_to(f"local-dir:{folder}")
            elif retry is not None and button is retry:
                self.load()

        box.buttonClicked.connect(chosen)
        self.message = box
        box.finished.connect(lambda _r, b=box: self._forget(b))
        box.open()

    def _forget(self, box: QMessageBox) -> None:
        if self.message is box:
            self.message = None

    def download_progress(self, done: int, total: int) -> None:
        text = f"Downloading the model {self._model_name} (once)…"
        if self._download is None:
            dialog = QProgressDialog(text, "Hide", 0, 1000, self.window)
            dialog.setWindowTitle(APP_NAME)
            dialog.setMinimumDuration(0)
            self._download = dialog
        self._download.setValue(int(1000 * done / total) if total else 0)
        self._download.setLabelText(f"{text}\n{done / 1e6:.0f} of {total / 1e6:.0f} MB")

    def _close_download(self) -> None:
        if self._download is not None:
            self._download.close()
            self._download = None
