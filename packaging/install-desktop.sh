#!/bin/sh
# Put InPhotos in this user's application menu (Linux desktops), or take it out again.
#
#   install-desktop.sh [EXECUTABLE]    add the menu entry and the icon
#   install-desktop.sh --uninstall     remove them (the app and your library stay)
#
# Writes $XDG_DATA_HOME/applications/inphotos.desktop (default ~/.local/share/...) and the
# icon into the hicolor theme beside it; needs no root. The menu entry starts EXECUTABLE, by
# default the first that exists of: inphotos-gui beside this script (an unpacked bundle), the
# built bundle dist/InPhotos/inphotos-gui, .venv/bin/inphotos-gui, inphotos-gui on PATH.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data/applications
icons=$data/icons/hicolor
sizes="16 22 24 32 48 64 128 256 512"

if [ -d "$here/_internal/resources" ]; then
    resources=$here/_internal/resources      # beside the executables in a bundle
else
    resources=$here/../resources             # packaging/ in a source tree
fi

refresh() {
    # Menus notice the new file by themselves; an icon cache that exists must be told (one that
    # does not is not created: a stale cache would hide other apps' icons).
    if [ -f "$icons/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t -f "$icons" || true
    fi
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$apps/inphotos.desktop" "$icons/scalable/apps/inphotos.svg"
    for s in $sizes; do rm -f "$icons/${s}x${s}/apps/inphotos.png"; done
    refresh
    echo "Removed InPhotos from the application menu."
    exit 0
fi

exe=${1:-}
if [ -z "$exe" ]; then
    for candidate in "$here/inphotos-gui" "$here/../dist/InPhotos/inphotos-gui" \
                     "$here/../.venv/bin/inphotos-gui" "$(command -v inphotos-gui || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then exe=$candidate; break; fi
    done
fi
if [ -z "$exe" ] || [ ! -x "$exe" ]; then
    echo "install-desktop.sh: no inphotos-gui found; build it (make bundle) or name it:" >&2
    echo "  $0 /path/to/inphotos-gui" >&2
    exit 1
fi
exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")

mkdir -p "$apps" "$icons/scalable/apps"
for s in $sizes; do
    mkdir -p "$icons/${s}x${s}/apps"
    cp "$resources/icons/inphotos-$s.png" "$icons/${s}x${s}/apps/inphotos.png"
done
cp "$resources/icons/inphotos.svg" "$icons/scalable/apps/inphotos.svg"
# The path may hold spaces or worse: Exec gets it quoted, with \ " ` $ escaped and %% for %,
# then every backslash doubled again as the file format wants (TryExec only the latter).
exec_value=\"$(printf '%s' "$exe" | sed -e 's/\\/\\\\\\\\/g' -e 's/["`$]/\\\\&/g' -e 's/%/%%/g')\"
tryexec_value=$(printf '%s' "$exe" | sed -e 's/\\/\\\\/g')
while IFS= read -r line; do
    case $line in
        Exec=*) printf 'Exec=%s\n' "$exec_value" ;;
        TryExec=*) printf 'TryExec=%s\n' "$tryexec_value" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$resources/inphotos.desktop" > "$apps/inphotos.desktop.tmp"
mv "$apps/inphotos.desktop.tmp" "$apps/inphotos.desktop"
refresh
echo "Added InPhotos to the application menu: $apps/inphotos.desktop -> $exe"
