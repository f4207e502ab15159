"""Root conftest: `pytest` here runs the engine's tests (testpaths); `pytest suites/<p>` runs a provider's suite.

The apiconform plugin itself is registered through the `pytest11` entry point of the
installed package, so the suites also run from any other directory with `-p apiconform`.
"""
