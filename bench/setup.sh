#!/bin/sh
# Install the benchmark's peers (dtach, screen, tmux) from Debian packages.
# Run as root; does nothing for a peer that is already there.
set -eu
missing=""
for p in dtach screen tmux; do
    command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: missing:$missing (run as root to install them)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
