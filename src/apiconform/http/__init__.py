"""The wire layer: the client, the exchange, targets, invariants on every response, the raw probe, the rate budget."""
