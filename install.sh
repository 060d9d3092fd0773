#!/bin/sh
# Install sessmux for the current user: a private virtual environment with its
# dependencies, the commands in ~/.local/bin and the man pages into
# ~/.local/share/man.  Run it again to upgrade.  Settings (environment):
#   SESSMUX_PREFIX  where the environment goes (default ~/.local/share/sessmux)
#   SESSMUX_BINDIR  where the commands go (default ~/.local/bin)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${SESSMUX_PREFIX:-$HOME/.local/share/sessmux}
bindir=${SESSMUX_BINDIR:-$HOME/.local/bin}
mandir=${SESSMUX_MANDIR:-$HOME/.local/share/man/man1}
python=${SESSMUX_PYTHON:-}
if [ -z "$python" ]; then
    # Debian's own python3 first: it is what a login shell finds.
    for candidate in /usr/bin/python3 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            python=$candidate
            break
        fi
    done
fi
if [ -z "$python" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
        python=/usr/bin/python3
    else
        echo "install.sh: fatal: needs Python 3.11 or newer with venv (Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
fi
if ! "$python" -c 'import ensurepip' 2>/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
mkdir -p "$prefix" "$bindir" "$mandir"
[ -x "$prefix/venv/bin/python" ] || "$python" -m venv "$prefix/venv"
# Build from a private copy of the sources: the build writes into the tree
# (which may be someone else's, or read-only) and would reuse what an old
# build left there.
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
mkdir "$copy/sessmux"
for part in pyproject.toml README.md sessmux; do
    cp -R "$here/$part" "$copy/sessmux/"
done
"$prefix/venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade --force-reinstall --no-deps "$copy/sessmux"
"$prefix/venv/bin/python" -m pip install -q --disable-pip-version-check "$copy/sessmux"
# The commands start Python with -S (no site: a third of the start-up time),
# with the environment's packages put on the path directly.
venv_python=$prefix/venv/bin/python
paths=$("$venv_python" -c 'import sysconfig; print(repr(sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})))')
for cmd in sess disconnect reconnect sessname sesslist sesskill sessmux rezume sessmenu sesswho sesswhere sessview sesswait sesslog; do
    rm -f "$bindir/$cmd"
    cat > "$bindir/$cmd" <<EOF
#!$venv_python -S
import sys
sys.path[:0] = $paths
from sessmux.commands.$cmd import main
from sessmux.commands.cli import leave
leave(main())
EOF
    chmod 755 "$bindir/$cmd"
done
# rezumable finds sessmux beside itself.
cp "$here/bin/rezumable" "$bindir/rezumable"
chmod 755 "$bindir/rezumable"
cp "$here"/man/man1/*.1 "$mandir/"
echo "sessmux installed: commands in $bindir, manual pages in $mandir"
case ":$PATH:" in
    *":$bindir:"*) ;;
    *) echo "add $bindir to your PATH (e.g. in ~/.profile): PATH=\"$bindir:\$PATH\"" ;;
esac
