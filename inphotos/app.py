"""The desktop app, read top to bottom: arguments, paths, logging, Qt, crash handler, window.

The window appears before torch is imported; the model loads in the background.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from types import TracebackType

from inphotos import APP_NAME, __version__
from inphotos.args import Options, parse_args
from inphotos.config import Settings
from inphotos.paths import AppPaths, resource, use_home

log = logging.getLogger(__name__)


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
    try:
        instance_lock = ProcessLock(paths.data / "app.lock")
    except LibraryInUseError:
        reached = ring(doorbell)
        log.info("Another instance holds the library; it was %s", "asked to show itself" if reached
                 else "not reachable")
        QMessageBox.information(None, APP_NAME, already_running_message(reached))
        return 1

    settings = Settings.load(paths.config_file)
    if args.model:
        settings.model = args.model
    if args.device:
        settings.device = args.device
    window = open_window(paths, settings)
    window.show()  # first: the library opens (and the model loads) in the background
    window.session.open_failed.connect(lambda _: app.exit(1))  # after the window said why
    window.session.open(settings.model)
    server = InstanceServer(doorbell, window)
    server.show_requested.connect(window.bring_to_front)
    answer_cli_queries(server, window.session)
    probe = os.environ.get("INPHOTOS_STARTUP_PROBE")
    if probe:  # `make bench`: time to a shown window, then quit ("stay": keep running)
        from PyQt6.QtCore import QTimer

        QTimer.singleShot(0, lambda: (print("window-shown", flush=True),  # noqa: T201
                                      None if probe == "stay" else window.close()))
    code = app.exec()
    instance_lock.release()
    return int(code)


def answer_cli_queries(server, session) -> None:  # type: ignore[no-untyped-def]
    """`inphotos search|similar` run while the app is open are answered by it (`ipc`)."""
    from inphotos.workers.remote import RemoteQueries

    remote = RemoteQueries(session, session)
    session.attach(remote)
    server.set_query_handler(remote.handle)


def already_running_message(window_shown: bool) -> str:
    where = ("Its window has been brought to the front." if window_shown
             else "Switch to its window (it may be minimised or on another desktop).")
    return (f"{APP_NAME} is already running, and its photo library can only be open in one "
            f"window at a time. {where}")


def library_opener(paths: AppPaths, settings: Settings):  # type: ignore[no-untyped-def]
    """Opens a model's library with the current settings (called on a worker thread)."""
    from inphotos.core.library import Library

    def open_library(model: str) -> Library:
        return Library(
            paths, model, device=settings.device, precision=settings.precision,
            batch_size=settings.batch_size, workers=settings.decode_workers,
        )

    return open_library


def open_window(paths: AppPaths, settings: Settings):  # type: ignore[no-untyped-def]
    """The main window over a session whose library is not open yet (`session.open` does it)."""
    from inphotos.ui.main_window import MainWindow
    from inphotos.workers.session import LibrarySession

    return MainWindow(paths, settings, LibrarySession(library_opener(paths, settings)))


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
