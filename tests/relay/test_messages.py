"""Message encoding, ids, digests and checkpoints (relayer.messages, relayer.checkpoints)."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from relayer.checkpoints import (
    CheckpointError,
    build_checkpoint,
    checkpoint_proof,
    message_leaf,
    verify_checkpoint_proof,
)
from relayer.messages import (
    HEADER_SIZE,
    Message,
    MessageDecodeError,
    MessageError,
    MessageKind,
    address_to_bytes32,
    bytes32_to_address,
    message_digest,
    signing_digest,
)

SENDER = address_to_bytes32("0x" + "aa" * 20)
RECIPIENT = address_to_bytes32("0x" + "bb" * 20)


def test_encoding_layout_and_roundtrip() -> None:
    m = Message(5, 7000, SENDER, 7002, RECIPIENT, b"hi")
    enc = m.encode()
    assert len(enc) == HEADER_SIZE + 2 == 79
    assert enc[0] == 1 and enc[1:5] == (5).to_bytes(4, "big") and enc[5:9] == (7000).to_bytes(4, "big")
    assert enc[9:41] == SENDER and enc[41:45] == (7002).to_bytes(4, "big") and enc[45:77] == RECIPIENT
    assert Message.decode(enc) == m
    assert m.id == keccak(enc)


def test_decode_errors() -> None:
    with pytest.raises(MessageDecodeError):
        Message.decode(b"\x01" * 10)
    enc = bytearray(Message(0, 1, SENDER, 2, RECIPIENT, b"").encode())
    enc[0] = 2
    with pytest.raises(MessageDecodeError):
        Message.decode(bytes(enc))
    with pytest.raises(MessageError):
        Message(2**32, 1, SENDER, 2, RECIPIENT, b"")
    with pytest.raises(MessageError):
        Message(0, 1, b"\x00" * 20, 2, RECIPIENT, b"")


def test_addresses() -> None:
    assert bytes32_to_address(address_to_bytes32("0x" + "ab" * 20)) == "0x" + "ab" * 20
    with pytest.raises(MessageError):
        address_to_bytes32(b"\x00" * 19)


def test_digests_are_domain_separated() -> None:
    payload = b"\x33" * 32
    mb = b"\x22" * 32
    digests = {signing_digest(k, 7000, mb, payload) for k in MessageKind}
    digests.add(signing_digest(MessageKind.MESSAGE, 7002, mb, payload))
    digests.add(signing_digest(MessageKind.MESSAGE, 7000, b"\x23" * 32, payload))
    assert len(digests) == len(MessageKind) + 2
    m = Message(0, 7000, SENDER, 7002, RECIPIENT, b"")
    assert message_digest(m, mb) == signing_digest(MessageKind.MESSAGE, 7000, mb, m.id)
    assert signing_digest(MessageKind.MESSAGE, 7000, b"\x22" * 20, payload) == signing_digest(
        MessageKind.MESSAGE, 7000, bytes(12) + b"\x22" * 20, payload)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 16, 17])
def test_checkpoint_proofs(count: int) -> None:
    ids = [Message(i, 7000, SENDER, 7002, RECIPIENT, bytes([i])).id for i in range(count)]
    cp = build_checkpoint(7000, b"\x22" * 20, ids)
    assert cp.count == count and cp.origin_mailbox == bytes(12) + b"\x22" * 20
    assert cp.root == keccak(cp.tree_root + count.to_bytes(32, "big"))
    for nonce in range(count):
        proof = checkpoint_proof(ids, nonce)
        assert len(proof) == cp.depth
        assert verify_checkpoint_proof(cp.root, count, ids[nonce], nonce, proof)
        if count > 1:
            assert not verify_checkpoint_proof(cp.root, count, ids[nonce], (nonce + 1) % count, proof)
    assert not verify_checkpoint_proof(cp.root, count, keccak(b"x"), 0, checkpoint_proof(ids, 0))
    assert not verify_checkpoint_proof(cp.root, count + 1, ids[0], 0, checkpoint_proof(ids, 0))


def test_checkpoint_errors() -> None:
    with pytest.raises(CheckpointError):
        build_checkpoint(7000, b"\x22" * 32, [])
    with pytest.raises(CheckpointError):
        checkpoint_proof([b"\x00" * 32], 1)
    with pytest.raises(CheckpointError):
        message_leaf(b"\x00")
