"""Cassettes: recording, scrubbing as a gate, replay."""
