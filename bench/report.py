"""Tables of results: statistics, text rendering, JSON (pure).

A :class:`Table` holds the samples of one measurement per peer (or the
reason a peer has none).  :func:`render` prints median, min and max per
peer with the ratio to raw and to the best peer, flags noisy rows, and
:func:`to_json` gives the same numbers for machines.

    >>> t = Table("tput", "throughput", "MB/s", higher_is_better=True)
    >>> t.add("raw", 100.0); t.add("tmux", 50.0)
    >>> "0.50x" in render(t)
    True
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

#: (max - min) / median above this marks a row as noisy
NOISY_SPREAD = 0.25


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile, q in [0, 100]."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Table:
    """One measurement: samples per peer, in the unit shown."""

    key: str
    title: str
    unit: str
    higher_is_better: bool = False
    show_p99: bool = False
    #: show the median's difference from raw (latency: the added cost)
    show_added: bool = False
    #: divide the median by this for a "per session" column
    per: int | None = None
    samples: dict[str, list[float]] = field(default_factory=dict)
    #: per-round medians, when a round gives many samples (latency): the
    #: noise note then compares rounds, not single keystrokes
    rounds: dict[str, list[float]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    #: a peer that failed after giving some samples: why (shown as a note)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, peer: str, *values: float) -> None:
        self.samples.setdefault(peer, []).extend(values)

    def add_round(self, peer: str, values: list[float]) -> None:
        self.add(peer, *values)
        self.rounds.setdefault(peer, []).append(statistics.median(values))

    def noisy(self, peer: str) -> bool:
        return noisy(self.rounds.get(peer) or self.samples.get(peer, []))

    def skip(self, peer: str, reason: str) -> None:
        """No (more) samples from *peer*, and why."""
        if peer in self.samples:
            self.errors.setdefault(peer, reason)
        else:
            self.skipped.setdefault(peer, reason)

    def median(self, peer: str) -> float | None:
        values = self.samples.get(peer)
        return statistics.median(values) if values else None

    def best(self) -> float | None:
        medians = [m for p in self.samples if (m := self.median(p)) is not None]
        if not medians:
            return None
        return max(medians) if self.higher_is_better else min(medians)


def fmt(value: float) -> str:
    """A number with about three significant digits, no exponent."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def noisy(values: list[float]) -> bool:
    if len(values) < 2:
        return False
    mid = statistics.median(values)
    return mid > 0 and (max(values) - min(values)) / mid > NOISY_SPREAD


def render(table: Table, peers: list[str] | None = None) -> str:
    """The table as aligned text, one row per peer."""
    order = peers or list(table.samples) + [p for p in table.skipped if p not in table.samples]
    raw = table.median("raw")
    best = table.best()
    head = ["peer", "median", "min", "max"]
    if table.show_p99:
        head.append("p99")
    if table.show_added:
        head.append("+raw")
    if table.per:
        head.append("/session")
    head += ["x raw", "x best", "n", "note"]
    rows = [head]
    notes = []
    # Rows a measurement added of its own (a variant of a peer) come last.
    order = [*order, *(p for p in [*table.samples, *table.skipped] if p not in order)]
    for peer in dict.fromkeys(order):
        values = table.samples.get(peer)
        if not values:
            if peer in table.skipped:
                rows.append([peer, "-"] + [""] * (len(head) - 3) + [table.skipped[peer]])
            continue
        mid = statistics.median(values)
        row = [peer, fmt(mid), fmt(min(values)), fmt(max(values))]
        if table.show_p99:
            row.append(fmt(percentile(values, 99)))
        if table.show_added:
            row.append("" if raw is None else f"{mid - raw:+.1f}")
        if table.per:
            row.append(fmt(mid / table.per))
        row.append("" if not raw else f"{mid / raw:.2f}x")
        row.append("" if not best else f"{mid / best:.2f}x")
        row.append(str(len(values)))
        note = []
        if table.noisy(peer):
            note.append("noisy")
            notes.append(peer)
        if peer in table.errors:
            note.append("then " + table.errors[peer])
        row.append("; ".join(note))
        rows.append(row)
    # Drop columns no row fills (x raw without a raw peer, for one).
    keep = [i for i in range(len(head))
            if i in (0, len(head) - 1) or any(r[i] for r in rows[1:])]
    rows = [[r[i] for i in keep] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(keep))]
    lines = [f"== {table.title} ({table.unit}, "
             + ("higher" if table.higher_is_better else "lower") + " is better) =="]
    for r in rows:
        middle = zip(r[1:-1], widths[1:-1], strict=True)
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in middle]
        lines.append("  ".join(cells + [r[-1]]).rstrip())
    if notes:
        lines.append(f"note: noisy = min/max spread (of samples, or of round medians when a "
                     f"round has many) above {NOISY_SPREAD:.0%} of the median for "
                     + ", ".join(notes) + "; treat those medians with care")
    return "\n".join(lines)


def to_json(table: Table) -> dict[str, Any]:
    """The table's numbers as plain JSON-able values."""
    raw, best = table.median("raw"), table.best()
    peers: dict[str, Any] = {}
    for peer, values in table.samples.items():
        mid = statistics.median(values)
        entry: dict[str, Any] = {
            "median": mid, "min": min(values), "max": max(values), "n": len(values),
            "ratio_raw": mid / raw if raw else None,
            "ratio_best": mid / best if best else None,
            "noisy": table.noisy(peer),
        }
        if table.show_p99:
            entry["p99"] = percentile(values, 99)
        if table.show_added and raw is not None:
            entry["added"] = mid - raw
        if table.per:
            entry["per_session"] = mid / table.per
        peers[peer] = entry
    return {
        "key": table.key, "title": table.title, "unit": table.unit,
        "higher_is_better": table.higher_is_better,
        "peers": peers, "skipped": dict(table.skipped), "errors": dict(table.errors),
    }
