"""Cassettes: recording, scrubbing as a gate, replay."""

MODES = ("live", "record", "replay")  # here, not in cassettes.py, so `apiconform --help` does not import vcrpy
