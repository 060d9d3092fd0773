"""sessmux benchmark suite: sessmux side by side with its peers.

Run ``python3 -m bench [--quick] [--json] [--only NAME[,NAME]]`` from the
repository root.  The benchmark plays the user's terminal (a pty pair it
owns, 120x40, TERM=xterm-256color) and drives a raw pty, dtach, GNU
screen, tmux and sessmux through the same payloads.  It is a program, not
a test: it prints tables, it asserts nothing about time.
"""
