"""Build the relay test vectors (docs/spec.md §7 section 8).

    python tests/relay/gen_vectors.py          # rewrite tests/vectors/bls_*.json, relay_*.json

`tests/relay/test_vector_files.py` checks the committed files equal a fresh build (the Python side);
`tests/contracts/test_relay_vectors.py` checks them against the Solidity harness on anvil.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from relayer import bls  # noqa: E402
from relayer.checkpoints import build_checkpoint, checkpoint_proof  # noqa: E402
from relayer.messages import DOMAIN_TAG, Message, MessageKind, signing_digest  # noqa: E402

VECTORS_DIR = ROOT / "tests" / "vectors"
"""Where the JSON vectors live."""


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def _words(ws: tuple[int, ...] | list[int]) -> list[str]:
    return [hex(w) for w in ws]


def hash_to_g1_vectors() -> dict[str, Any]:
    msgs = [b"", b"abc", bytes(32), bytes(range(32)), b"OmniTensor" * 10]
    msgs += [signing_digest(MessageKind.MESSAGE, 7000, bytes(32), bytes([i]) * 32) for i in range(8)]
    cases = []
    for m in msgs:
        pt, ctr = bls.hash_to_g1_with_counter(m)
        cases.append({"message": _h(m), "counter": ctr, "point": _words(pt.to_evm())})
    return {
        "description": "try-and-increment hash to BN254 G1 (relayer.bls.hash_to_g1, BN254.hashToG1)",
        "domain": _h(bls.HASH_TO_G1_DOMAIN),
        "cases": cases,
    }


def signature_vectors() -> dict[str, Any]:
    keys = [bls.KeyPair.from_seed(b"vector-" + bytes([i])) for i in range(4)]
    digest = signing_digest(MessageKind.MESSAGE, 7000, bytes(12) + b"\x22" * 20, b"\x33" * 32)
    sigs = [bls.sign(k.secret, digest) for k in keys]
    key_entries = [
        {
            "seed": _h(b"vector-" + bytes([i])),
            "secret": hex(k.secret),
            "pk1": _words(k.pk1.to_evm()),
            "pk2": _words(k.pk2.to_evm()),
            "signature": _words(s.to_evm()),
            "popDigest": _h(bls.pop_digest(k.pk1, k.pk2)),
            "pop": _words(bls.prove_possession(k).to_evm()),
        }
        for i, (k, s) in enumerate(zip(keys, sigs))
    ]
    signers = [0, 1, 3]
    agg = bls.aggregate_g1(sigs[i] for i in signers)
    apk1 = bls.aggregate_g1(keys[i].pk1 for i in signers)
    apk2 = bls.aggregate_g2(keys[i].pk2 for i in signers)
    return {
        "description": "BLS on BN254: pk1 = sk*G1, pk2 = sk*G2 (EIP-197 order), sig = sk*H(digest) in G1",
        "digest": _h(digest),
        "keys": key_entries,
        "aggregate": {
            "signers": signers,
            "signature": _words(agg.to_evm()),
            "apk1": _words(apk1.to_evm()),
            "apk2": _words(apk2.to_evm()),
            "gamma": hex(bls.binding_gamma(digest, agg, apk1, apk2)),
            "valid": True,
        },
        "invalid": [
            {"why": "signer missing from the key", "signature": _words(agg.to_evm()),
             "apk1": _words(bls.aggregate_g1(keys[i].pk1 for i in (0, 1)).to_evm()),
             "apk2": _words(bls.aggregate_g2(keys[i].pk2 for i in (0, 1)).to_evm())},
            {"why": "G1 and G2 keys do not match", "signature": _words(agg.to_evm()),
             "apk1": _words(apk1.to_evm()), "apk2": _words(bls.aggregate_g2(keys[i].pk2 for i in (0, 1, 2)).to_evm())},
            {"why": "one signature counted twice", "signature": _words((agg + sigs[0]).to_evm()),
             "apk1": _words(apk1.to_evm()), "apk2": _words(apk2.to_evm())},
        ],
    }


def message_vectors() -> dict[str, Any]:
    sender = bytes(12) + bytes.fromhex("aa" * 20)
    recipient = bytes(12) + bytes.fromhex("bb" * 20)
    msgs = [
        Message(0, 7000, sender, 7002, recipient, b""),
        Message(1, 7000, sender, 7002, recipient, b"\x01" * 64),
        Message(2**32 - 1, 7002, recipient, 7000, sender, bytes(range(100))),
    ]
    cases = [
        {
            "nonce": m.nonce, "origin": m.origin, "sender": _h(m.sender), "destination": m.destination,
            "recipient": _h(m.recipient), "body": _h(m.body), "encoded": _h(m.encode()), "id": _h(m.id),
            "digest": _h(signing_digest(MessageKind.MESSAGE, m.origin, b"\x22" * 32, m.id)),
        }
        for m in msgs
    ]
    digests = [
        {"kind": int(k), "origin": o, "originContract": _h(c), "payloadHash": _h(p),
         "digest": _h(signing_digest(k, o, c, p))}
        for k, o, c, p in [
            (MessageKind.POP, 0, bytes(32), b"\x01" * 32),
            (MessageKind.MESSAGE, 7000, b"\x22" * 32, b"\x33" * 32),
            (MessageKind.CHECKPOINT, 7000, b"\x22" * 32, b"\x33" * 32),
            (MessageKind.VALIDATOR_SET, 7000, b"\x44" * 32, b"\x33" * 32),
        ]
    ]
    return {
        "description": "version u8 | nonce u32 | origin u32 | sender bytes32 | destination u32 | recipient bytes32 | body",
        "domainTag": _h(DOMAIN_TAG),
        "originMailbox": _h(b"\x22" * 32),
        "messages": cases,
        "digests": digests,
    }


def checkpoint_vectors() -> dict[str, Any]:
    sender = bytes(12) + bytes.fromhex("aa" * 20)
    ids = [Message(i, 7000, sender, 7002, sender, bytes([i])).id for i in range(11)]
    cases = []
    for count in (1, 2, 3, 8, 11):
        cp = build_checkpoint(7000, b"\x22" * 32, ids[:count])
        proofs = [{"index": i, "proof": [_h(s) for s in checkpoint_proof(ids[:count], i)]} for i in range(count)]
        cases.append({"count": count, "treeRoot": _h(cp.tree_root), "root": _h(cp.root),
                      "digest": _h(cp.digest()), "proofs": proofs})
    return {
        "description": "checkpoint = list root over message ids (leaf keccak(keccak(id)))",
        "origin": 7000,
        "originMailbox": _h(b"\x22" * 32),
        "ids": [_h(i) for i in ids],
        "checkpoints": cases,
    }


def validator_set_vectors() -> dict[str, Any]:
    from relayer.contracts import Committee, set_update_hash

    committee = Committee.from_seeds(b"vector-set", 3, weights=[5, 7, 11], epoch=2)
    home = bytes(12) + b"\x44" * 20
    update = set_update_hash(2, committee)
    return {
        "description": "VALIDATOR_SET update: payload keccak(abi.encode(uint64 epoch, (uint256[2],uint256)[]))",
        "epoch": 2,
        "homeChainId": 7000,
        "homeValidatorSet": _h(home),
        "validators": [{"pk": _words(list(pk)), "weight": w} for pk, w in committee.validators()],
        "updateHash": _h(update),
        "digest": _h(signing_digest(MessageKind.VALIDATOR_SET, 7000, home, update)),
    }


FILES = {
    "bls_hash_to_g1.json": hash_to_g1_vectors,
    "bls_signatures.json": signature_vectors,
    "relay_messages.json": message_vectors,
    "relay_checkpoints.json": checkpoint_vectors,
    "relay_validator_set.json": validator_set_vectors,
}
"""Vector file name to the function that builds it."""


def render(obj: dict[str, Any]) -> str:
    return json.dumps(obj, indent=2) + "\n"


def main() -> None:
    for name, build in FILES.items():
        (VECTORS_DIR / name).write_text(render(build()))
        print(f"wrote {VECTORS_DIR / name}")


if __name__ == "__main__":
    main()
