"""sessmux: sessions that outlive their connections (pty 4.0 model, replay buffers).

The commands start Python with ``-S``: without ``site`` an interpreter
starts in a third of the time, and most tools (and every master) need
nothing outside the standard library.  The first import of one of the
packages sessmux depends on loads ``site`` then, and only then.
"""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__version__ = "0.1.0"

DEPENDENCIES = frozenset({"pyte", "wcwidth", "psutil", "prompt_toolkit", "urwid"})


class _SiteWhenNeeded:
    """A last import finder: when a dependency is not found, load site and look again."""

    def find_spec(self, name: str, path: "Sequence[str] | None" = None,
                  target: "ModuleType | None" = None) -> "ModuleSpec | None":
        if path is not None or name not in DEPENDENCIES:
            return None
        sys.meta_path.remove(self)
        import importlib.util
        import site

        site.main()
        return importlib.util.find_spec(name)


if sys.flags.no_site and not any(isinstance(f, _SiteWhenNeeded) for f in sys.meta_path):
    sys.meta_path.append(_SiteWhenNeeded())
