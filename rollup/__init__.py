"""OmniTensor L2 rollup: pure protocol core (rollup.core) and the async services around it."""
