"""Generic checks by contract area. Each reads what it needs from the contract; suites call them."""
