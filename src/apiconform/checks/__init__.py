"""Generic checks by contract area (each reads what it needs from the contract; suites call them), the
``expect`` helpers they assert with, and payload generation (``generate``)."""
