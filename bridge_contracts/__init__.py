"""Solidity contracts of the OmniTensor L1 (and remote chains), their build, and deploy helpers.

- `bridge_contracts.build`: compile `src/**/*.sol` with solc-js into committed artifacts
  (`python -m bridge_contracts.build [--check]`).
- `bridge_contracts.sources`: where sources live; the artifacts' source fingerprint.
- `bridge_contracts.artifacts`: load the artifacts (no node needed at run time).
- `bridge_contracts.deploy`: typed async deploy and send helpers on web3.py `AsyncWeb3`.
- `bridge_contracts.blobs`: EIP-4844 blob transactions (sidecars with ckzg).
- `bridge_contracts.errors`: decode the contracts' custom errors.
- `bridge_contracts.anvil`: start and drive a local anvil node.

Formats: docs/spec.md §5; roles, parameters and deployment: docs/contracts.md.
"""

__all__: list[str] = []
