"""OmniTensor relayer: BLS validator signatures, message formats, checkpoints and contract helpers.

Modules: `bls` (BN254 BLS as the contracts verify it), `messages` (message encoding and signed
digests), `checkpoints` (Merkle checkpoints over message ids), `contracts` (deploy and call helpers
for the relay contracts), `bench_gas` (destination gas, BLS versus ECDSA).
"""

__all__: list[str] = []
