"""``rezume``: connect to a session on another host that survives network drops."""

from __future__ import annotations

import os
import secrets
import shlex
import sys
from collections.abc import Sequence

from sessmux.commands import cli
from sessmux.core import errors, names
from sessmux.core.errors import LEFT, Quit
from sessmux.remote.rezume import Client, Settings

USAGE = "usage: rezume [options] [user@]host [command [arg ...]]"
HELP = USAGE + """

Run COMMAND (default: your login shell) in a sessmux session on HOST, over
the real ssh, and keep it through network drops: when the link dies rezume
reconnects by itself and both sides resend exactly what the other missed.
sessmux must be installed on HOST.

ssh options passed through: -p PORT, -i FILE, -o OPTION, -J JUMP, -F FILE,
-l USER, -4, -6, -A, -C, -v.
  -a, --attach              only attach to an existing session (--id)
  -b, --buffer SIZE         keys kept for resending, 0..1m (default 512k)
      --id ID               the session's name on HOST (default: a new one)
      --env-id              send the id as SESSMUX_ID and run no command
                            (for hosts whose login profile runs rezumable)
      --keepalive SECONDS   keepalive interval (default 5)
      --keepalive-count N   keepalives missed before the link is dead (default 3)
      --give-up SECONDS     stop trying after this long without the host (default: never)
      --hold SECONDS        while rezume is away, output it has not got holds the
                            program this long at most (default: the host's, 300; 0: never)
      --manual              reconnect only when Enter is pressed
      --sessmux PATH        the sessmux command on HOST (default: sessmux, or
                            $SESSMUX_REMOTE_BIN/sessmux)
      --list                list HOST's sessions (sesslist -H HOST) and exit
      --notify 9|777        when the session needs you, tell this terminal with
                            OSC 9 or 777 (default: $SESSMUX_NOTIFY; unset: never)
Escapes, after Enter: ~. quit (the session goes on), ~^Z suspend, ~? help.

rezume --id NAME HOST comes back to (or starts) session NAME on HOST;
add -a to refuse to start one.  $SESSMUX_SSH replaces the ssh command
(as "ssh -F FILE").

Exit status: the remote program's; 255 after ~. or giving up; 1 usage;
2 protocol error, or HOST's sessions could not be listed (--list);
17 no such session (-a)."""

SSH_WITH_ARG = "piJFlo"
SSH_FLAGS = "46ACv"


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("rezume", USAGE, lambda: _rezume(args))


def _size(text: str) -> int:
    from sessmux.commands.sess import parse_size

    value = parse_size(text)
    if not 0 <= value <= 1 << 20:
        raise cli.Usage("the key buffer is 0 to 1m bytes")
    return value


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise cli.Usage(f"bad {what} {text!r}") from None
    if value < 0:
        raise cli.Usage(f"{what} cannot be negative")
    return value


def _rezume(argv: Sequence[str]) -> int:
    longs = ["attach", "buffer=", "id=", "env-id", "keepalive=", "keepalive-count=",
             "give-up=", "hold=", "manual", "sessmux=", "list", "notify=", "help", "version"]
    short = "".join(c + ":" for c in SSH_WITH_ARG) + SSH_FLAGS + "ab:h"
    opts, rest = cli.getopt(argv, short, longs)
    from sessmux.remote.hosts import remote_bin, ssh_command

    base = ssh_command()
    ssh = [*base, "-T", "-e", "none"]
    settings: dict[str, object] = {}
    session, attach, env_id, listing = "", False, False, False
    remote_sessmux = os.path.join(remote_bin(), "sessmux") if remote_bin() else "sessmux"
    notify = os.environ.get("SESSMUX_NOTIFY") or ""
    for opt, value in opts:
        if opt in ("-h", "--help"):
            print(HELP)
            return 0
        if opt == "--version":
            cli.version("rezume")
        if opt[1:] in SSH_WITH_ARG:
            ssh += [opt, value]
        elif opt[1:] in SSH_FLAGS:
            ssh.append(opt)
        elif opt in ("-a", "--attach"):
            attach = True
        elif opt in ("-b", "--buffer"):
            settings["buffer"] = _size(value)
        elif opt == "--id":
            session = names.check(value)
        elif opt == "--env-id":
            env_id = True
        elif opt == "--keepalive":
            settings["interval"] = max(0.2, _number(value, "keepalive interval"))
        elif opt == "--keepalive-count":
            settings["count"] = max(1, int(_number(value, "keepalive count")))
        elif opt == "--give-up":
            settings["give_up"] = _number(value, "give-up time")
        elif opt == "--hold":
            hold = _number(value, "hold time")
            if not hold < 1e9:  # nan, inf: JSON has no such numbers
                raise cli.Usage(f"bad hold time {value!r}")
            settings["hold"] = hold
        elif opt == "--manual":
            settings["manual"] = True
        elif opt == "--sessmux":
            remote_sessmux = value
        elif opt == "--list":
            listing = True
        elif opt == "--notify":
            if value not in ("9", "777"):
                raise cli.Usage(f"bad --notify {names.visible(value)!r}: use 9 or 777")
            notify = value
    if not rest:
        raise cli.Usage("which host?")
    host, command = rest[0], rest[1:]
    if listing:
        if command:
            raise cli.Usage(f"unexpected argument {command[0]!r} (--list runs no command)")
        return _list(base, ssh[len(base) + 3 :], host, remote_sessmux)
    if attach and not session:
        raise cli.Usage("-a needs the session's --id")
    session = session or "rz" + secrets.token_hex(4)
    if env_id:
        os.environ["SESSMUX_ID"] = session
        ssh += ["-o", "SendEnv=SESSMUX_ID"]
        remote: list[str] = []
    else:
        # -f: coming back to the session (a new rezume with the same --id)
        # takes it over at once from a connection the network left half-dead.
        # ssh -T sends no TERM: the session's program gets ours, as with ssh -t.
        term = ["env", f"TERM={os.environ['TERM']}"] if os.environ.get("TERM") else []
        asked = ["-N", notify] if notify in ("9", "777") else []  # OSC 9/777 reach our terminal
        remote = [shlex.join([*term, remote_sessmux, "-s", "-f", *asked, "-a" if attach else "-t",
                              session, *command])]
    config = Settings(ssh=[*ssh, host], remote=remote, session=session,
                      token=secrets.token_hex(8), host=host)
    for key, setting in settings.items():
        setattr(config, key, setting)
    client = Client(config)
    try:
        code = client.run()
    except Quit as q:
        _stats(client)
        if q.code == LEFT and not client.fresh:  # there is a session to come back to
            q.message += (f"; session {session} goes on running on {host};"
                          f" resume it with: rezume --id {session} {host}")
        raise  # said once, by cli.run
    _stats(client)
    if client.note:
        cli.say("rezume", "warning", client.note)
    return code


def _list(ssh: list[str], options: list[str], host: str, remote_sessmux: str) -> int:
    """``--list``: HOST's sessions as sesslist -H lists them, over a shared connection."""
    from sessmux.commands.sesslist import host_lines
    from sessmux.core import hostlist
    from sessmux.core.errors import TOOL
    from sessmux.remote import hosts

    where = os.path.dirname(remote_sessmux)
    try:
        target = hostlist.Host(hostlist.check_destination(host), options, where)
    except errors.BadHosts as e:
        raise cli.Usage(str(e)) from None
    answer = hosts.query([target], ssh=ssh)[0]
    for line in host_lines(answer):
        print(line)
    if answer.error:
        sys.stderr.write(f"rezume: {answer.shown}: {answer.error}\n")
        return TOOL
    return 0


def _stats(client: Client) -> None:
    if os.environ.get("REZUME_STATS"):  # for tests and benchmarks
        cli.say("rezume", "stats", client.stats())
