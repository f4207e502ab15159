"""apiconform: contract tests and conformance suites for REST APIs."""

__version__ = "0.1.0"
