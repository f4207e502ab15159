"""The four report files."""
