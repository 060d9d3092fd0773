#!/bin/sh
# Run sessmux's whole test suite: lint (ruff), types (mypy), unit and
# integration tests (pytest) and a benchmark smoke run.  As root it first
# installs the system packages the tests drive (tmux, screen, dtach,
# openssh-server, groff); the Python test dependencies go into a virtual
# environment of their own.  Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive

need=""
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    for pkg in python3 python3-venv tmux screen dtach openssh-server openssh-client \
               groff-base procps util-linux passwd vim-tiny libutempter0 zsh; do
        dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
    done
    if [ -n "$need" ]; then
        echo "test.sh: installing$need"
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $need >/dev/null
    fi
fi

# The environment lives outside the checkout and is readable by everyone,
# because some tests run sessions as an unprivileged user.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
venv=${SESSMUX_TEST_VENV:-/var/tmp/sessmux-test-venv-$(id -u)}
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]"
chmod -R a+rX "$venv" 2>/dev/null || true

echo "== ruff"
"$venv/bin/ruff" check sessmux tests bench
echo "== mypy"
"$venv/bin/mypy" sessmux
echo "== pytest"
set +e
"$venv/bin/python" -m pytest -p no:cacheprovider "$@"
status=$?
set -e
# pytest's 5 means it collected no test: that is a failure here too.
exit $status
