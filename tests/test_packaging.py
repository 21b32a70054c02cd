"""The files the bundle and the desktop integration ship: icons, .desktop entry, menu installer."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"


def _desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.mark.parametrize("size", [16, 22, 24, 32, 48, 64, 128, 256, 512, 1024])
def test_icon_pngs_have_their_size(size: int) -> None:
    with Image.open(RESOURCES / "icons" / f"inphotos-{size}.png") as im:
        assert im.size == (size, size)
        assert im.mode == "RGBA"


def test_ico_and_icns_for_windows_and_macos() -> None:
    with Image.open(RESOURCES / "icons" / "inphotos.ico") as ico:
        assert (256, 256) in ico.info["sizes"]
        assert (16, 16) in ico.info["sizes"]
    with Image.open(RESOURCES / "icons" / "inphotos.icns") as icns:
        assert icns.size[0] >= 512


def test_desktop_entry_starts_the_gui_script() -> None:
    entry = _desktop_entry(RESOURCES / "inphotos.desktop")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    gui_scripts = project["gui-scripts"]
    assert entry["Exec"] in gui_scripts
    assert entry["Type"] == "Application"
    assert entry["Icon"] == "inphotos"
    assert entry["Terminal"] == "false"


@pytest.mark.skipif(sys.platform != "linux", reason="the menu installer is for Linux desktops")
def test_install_desktop_adds_and_removes_the_menu_entry(tmp_path: Path) -> None:
    app_dir = tmp_path / "My Apps $1"  # a space and a dollar sign must survive Exec quoting
    app_dir.mkdir()
    exe = app_dir / "inphotos-gui"
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(0o755)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    script = ROOT / "packaging" / "install-desktop.sh"
    subprocess.run(["sh", str(script), str(exe)], check=True, env=env, capture_output=True)

    desktop = tmp_path / "data" / "applications" / "inphotos.desktop"
    entry = _desktop_entry(desktop)
    assert entry["Exec"] == f'"{app_dir}/inphotos-gui"'.replace("$", "\\\\$")
    assert entry["TryExec"] == str(exe)
    icons = tmp_path / "data" / "icons" / "hicolor"
    assert (icons / "256x256" / "apps" / "inphotos.png").is_file()
    assert (icons / "scalable" / "apps" / "inphotos.svg").is_file()
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(desktop)], check=True)

    subprocess.run(["sh", str(script), "--uninstall"], check=True, env=env, capture_output=True)
    assert not desktop.exists()
    assert not (icons / "256x256" / "apps" / "inphotos.png").exists()
