"""The desktop app, read top to bottom: arguments, paths, logging, Qt, crash handler, window.

The window appears before torch is imported; the model loads in the background.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from inphotos import APP_NAME, __version__
from inphotos.args import Options, parse_args
from inphotos.config import Settings
from inphotos.paths import AppPaths, resource, use_home

if TYPE_CHECKING:
    from PyQt6.QtWidgets import QWidget

    from inphotos.core.library import Library

log = logging.getLogger(__name__)

#: How long a launch waits for a previous InPhotos that is quitting to let go of the library.
RELAUNCH_WAIT_S = 10.0


def main(argv: Options | Sequence[str] | None = None) -> int:
    """Run the app; returns the exit code.

    `argv` is the options `inphotos` already parsed, or a command line to parse (default:
    this process's arguments, as for the `inphotos-gui` entry point).
    """
    args = argv if isinstance(argv, Options) else parse_args(argv)
    paths = use_home(args.home).ensure()
    from inphotos.log import setup_logging

    log_file = setup_logging(paths.logs)
    log.info("Starting %s %s", APP_NAME, __version__)

    from PyQt6.QtGui import QIcon
    from PyQt6.QtWidgets import QApplication, QMessageBox

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("inphotos")
    icon = resource("icons/inphotos.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    install_crash_handler(log_file)

    from inphotos.db.lock import LibraryInUseError, ProcessLock
    from inphotos.ui.single_instance import InstanceServer, ring, server_name

    doorbell = server_name(paths.data)
    instance_lock = None
    deadline = time.monotonic() + RELAUNCH_WAIT_S
    while instance_lock is None:
        try:
            instance_lock = ProcessLock(paths.data / "app.lock")
        except LibraryInUseError:
            if ring(doorbell, timeout_ms=500) and not _lock_freed(paths, RING_GRACE_S):
                # The running window comes forward; a box on top of it would only be in the way.
                log.info("Another instance holds the library; it was asked to show itself")
                return 0
            if _lock_freed(paths, 0):
                continue  # it was quitting as it answered: the library is free now, open it
            if time.monotonic() > deadline:
                log.info("Another instance holds the library and does not answer")
                QMessageBox.information(None, APP_NAME, already_running_message(False))
                return 1
            # Its doorbell is silent: it is quitting (or still starting). Wait for it.
            time.sleep(0.1)

    settings = Settings.load(paths.config_file)
    saved_model = settings.model
    if args.model is not None:
        settings.model = args.model
    if args.device:
        settings.device = args.device
    window = open_window(paths, settings)
    window.show()  # first: the library opens (and the model loads) in the background
    # After the window said why (and offered a repair, if that can help): quit if it closed.
    window.session.open_failed.connect(lambda _: None if window.isVisible() else app.exit(1))
    # A bad --model opens the saved model's library browse-only, as a bad choice in Settings.
    window.session.open(settings.model, fallback=saved_model)
    server = InstanceServer(doorbell, window)
    server.show_requested.connect(window.bring_to_front)
    window.closing.connect(server.close)  # a launch from now on waits for this process to end
    quit_on_signals(window)
    answer_cli_queries(server, window.session)
    probe = os.environ.get("INPHOTOS_STARTUP_PROBE")
    if probe:  # `make bench`: time to a shown window, then quit ("stay": keep running)
        from PyQt6.QtCore import QTimer

        QTimer.singleShot(0, lambda: (print("window-shown", flush=True),  # noqa: T201
                                      None if probe == "stay" else window.close()))
    code = int(app.exec())
    instance_lock.release()
    if existing is None:
        end_process(code)
    return code


def end_process(code: int) -> None:
    """End this process now, without waiting for background threads.

    The window has closed and every job was cancelled; one may still be inside the model load
    or a batch. Waiting for it kept the process alive (and the library locked) for seconds
    after the window vanished, so it is abandoned as a kill would abandon it: each batch is
    its own transaction, the settings are saved and the locks go with the process. Only when
    this process owns its QApplication: a caller (a test) that made its own keeps running.
    """
    log.info("Quit")
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def quit_on_signals(window: QWidget) -> None:
    """SIGTERM and SIGINT (a logout, Ctrl+C in a terminal) quit as Ctrl+Q does."""
    from PyQt6.QtCore import QTimer

    def close(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, window.close)

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError, OSError):  # not the main thread, or no such signal
            signal.signal(signum, close)
    # Python runs a signal handler only when it gets control: wake it now and then.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(200)


def answer_cli_queries(server, session) -> None:  # type: ignore[no-untyped-def]
    """`inphotos search|similar` run while the app is open are answered by it (`ipc`)."""
    from inphotos.workers.remote import RemoteQueries

    remote = RemoteQueries(session, session)
    session.attach(remote)
    server.set_query_handler(remote.handle)


#: After the running app answered the doorbell: how long to make sure it is not quitting
#: (a quit that began just as it answered would leave the user with no window at all).
RING_GRACE_S = 2.0


def _lock_freed(paths: AppPaths, within_s: float) -> bool:
    """Whether the library's app lock is (or becomes, within `within_s`) free: tried, released."""
    from inphotos.db.lock import LibraryInUseError, ProcessLock

    deadline = time.monotonic() + within_s
    while True:
        try:
            ProcessLock(paths.data / "app.lock").release()
            return True
        except LibraryInUseError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def already_running_message(window_shown: bool) -> str:
    where = ("Its window has been brought to the front." if window_shown
             else "Switch to its window (it may be minimised or on another desktop).")
    return (f"{APP_NAME} is already running, and its photo library can only be open in one "
            f"window at a time. {where}")


def library_opener(paths: AppPaths, settings: Settings):  # type: ignore[no-untyped-def]
    """Opens a model's library with the current settings (called on a worker thread, which
    imports the engine: the window is up before it loads)."""

    def open_library(model: str) -> Library:
        from inphotos.core.library import Library
        from inphotos.ml.models import check_spec, parse_spec

        check_spec(parse_spec(model))  # a missing model folder is known before torch loads
        lib = Library(
            paths, model, device=settings.device, precision=settings.precision,
            batch_size=settings.batch_size, workers=settings.decode_workers,
            videos=settings.index_videos,
        )
        lib.cluster = settings.cluster_options()
        return lib

    return open_library


def library_repairer(paths: AppPaths, settings: Settings):  # type: ignore[no-untyped-def]
    """Rebuilds a damaged index from the photos, keeping its folders (on a worker thread)."""

    def repair(model: str) -> Library:
        from inphotos.core.library import Library

        return Library.repair(
            paths, model, device=settings.device, precision=settings.precision,
            batch_size=settings.batch_size, workers=settings.decode_workers,
            videos=settings.index_videos,
        )

    return repair


def open_window(paths: AppPaths, settings: Settings):  # type: ignore[no-untyped-def]
    """The main window over a session whose library is not open yet (`session.open` does it)."""
    from inphotos.ui.main_window import MainWindow
    from inphotos.workers.session import LibrarySession

    session = LibrarySession(library_opener(paths, settings), library_repairer(paths, settings))
    return MainWindow(paths, settings, session)


def install_crash_handler(log_file: object) -> None:
    """Unexpected errors: logged, and shown in a dialog with details instead of vanishing."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication, QMessageBox

    showing = threading.Event()

    def show(details: str) -> None:
        if showing.is_set():
            return
        showing.set()
        box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME,
                          "Something went wrong inside InPhotos. Your photos and index are safe.\n\n"
                          f"Details are in the log file:\n{log_file}")
        box.setDetailedText(details)
        box.exec()
        showing.clear()

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(kind, value, tb))
        log.critical("Unexpected error\n%s", details)
        if QApplication.instance() is None:
            return
        if threading.current_thread() is threading.main_thread():
            show(details)
        else:
            QTimer.singleShot(0, lambda: show(details))

    sys.excepthook = hook
    threading.excepthook = lambda a: hook(a.exc_type, a.exc_value or a.exc_type(), a.exc_traceback)
