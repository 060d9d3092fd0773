"""sessmux: sessions that outlive their connections (pty 4.0 model, replay buffers).

The commands start Python with ``-S``: without ``site`` an interpreter
starts in a third of the time, and most tools (and every master) need
nothing outside the standard library.  The first import of one of the
packages sessmux depends on loads ``site`` then, and only then.
"""

import sys

__version__ = "0.1.0"

DEPENDENCIES = frozenset({"pyte", "wcwidth", "psutil", "prompt_toolkit", "urwid"})


class _SiteWhenNeeded:
    """A last import finder: when a dependency is not found, load site and look again."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> object:
        if path is not None or name not in DEPENDENCIES:
            return None
        sys.meta_path.remove(_SiteWhenNeeded)
        import importlib.util
        import site

        site.main()
        return importlib.util.find_spec(name)


if sys.flags.no_site and _SiteWhenNeeded not in sys.meta_path:
    sys.meta_path.append(_SiteWhenNeeded)
