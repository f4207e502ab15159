"""The contract layer: the contract model, the schemas it names, known deviations."""
