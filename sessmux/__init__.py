"""sessmux: sessions that outlive their connections (pty 4.0 model, replay buffers)."""

__version__ = "0.1.0"
