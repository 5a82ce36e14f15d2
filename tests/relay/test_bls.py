"""BLS on BN254 (relayer.bls): sign, aggregate, verify, proofs of possession, encodings.

Pairings in py-ecc take about half a second each, so every check here is chosen to count.
"""

from __future__ import annotations

import pytest

from relayer import bls
from relayer.messages import MessageKind, signing_digest

DIGEST = signing_digest(MessageKind.MESSAGE, 7000, b"\x22" * 32, b"\x33" * 32)


@pytest.fixture(scope="module")
def keys() -> list[bls.KeyPair]:
    return [bls.KeyPair.from_seed(b"test-bls-" + bytes([i])) for i in range(3)]


def test_keys_are_deterministic_and_consistent(keys: list[bls.KeyPair]) -> None:
    again = bls.KeyPair.from_seed(b"test-bls-" + bytes([0]))
    assert again == keys[0]
    assert keys[0].pk1 == bls.G1_GENERATOR * keys[0].secret
    assert keys[0].pk1 != keys[1].pk1
    assert bls.random_secret_key() != bls.random_secret_key()
    assert "secret" not in repr(keys[0]) and hex(keys[0].secret) not in repr(keys[0])


def test_invalid_secret_and_points_rejected() -> None:
    with pytest.raises(bls.InvalidSecretKey):
        bls.KeyPair.from_secret(0)
    with pytest.raises(bls.InvalidSecretKey):
        bls.KeyPair.from_secret(bls.CURVE_ORDER)
    with pytest.raises(bls.InvalidPoint):
        bls.G1Point(1, 3)
    with pytest.raises(bls.InvalidPoint):
        bls.G1Point(bls.FIELD_MODULUS + 1, 2)
    with pytest.raises(bls.InvalidPoint):
        bls.G2Point((1, 0), (2, 0))


def test_g2_encoding_is_eip197_order() -> None:
    g2 = bls.G2_GENERATOR
    words = g2.to_evm()
    # EIP-197 lists the generator as (x.c1, x.c0, y.c1, y.c0)
    assert words[0] == 0x198E9393920D483A7260BFB731FB5D25F1AA493335A9E71297E485B7AEF312C2
    assert words[1] == 0x1800DEEF121F1E76426A00665E5C4479674322D4F75EDADD46DEBD5CD992F6ED
    assert bls.G2Point.from_evm(words) == g2
    assert bls.G1Point.from_evm(bls.G1_GENERATOR.to_evm()) == bls.G1_GENERATOR


def test_hash_to_g1_is_on_curve_and_deterministic() -> None:
    seen = set()
    for i in range(20):
        pt, ctr = bls.hash_to_g1_with_counter(bytes([i]))
        assert 0 <= ctr < 8
        assert pt.y <= bls.FIELD_MODULUS - pt.y  # canonical root
        bls.G1Point(pt.x, pt.y)  # on the curve
        seen.add(pt)
    assert len(seen) == 20
    assert bls.hash_to_g1(b"abc") == bls.hash_to_g1(b"abc")


def test_sign_and_verify(keys: list[bls.KeyPair]) -> None:
    sig = bls.sign(keys[0].secret, DIGEST)
    assert bls.verify(keys[0].pk2, DIGEST, sig)
    assert not bls.verify(keys[1].pk2, DIGEST, sig)
    assert not bls.verify(keys[0].pk2, DIGEST[:-1] + b"\x00", sig)


def test_aggregate_verifies_with_bound_g1_key(keys: list[bls.KeyPair]) -> None:
    sigs = [bls.sign(k.secret, DIGEST) for k in keys]
    agg = bls.aggregate_g1(sigs)
    apk1 = bls.aggregate_g1(k.pk1 for k in keys)
    apk2 = bls.aggregate_g2(k.pk2 for k in keys)
    assert apk2 == bls.G2_GENERATOR * sum(k.secret for k in keys)
    assert bls.verify_with_g1_key(apk1, apk2, DIGEST, agg)


@pytest.mark.parametrize("case", ["missing-signer", "mismatched-g2", "double-counted", "infinity"])
def test_bad_aggregates_fail(keys: list[bls.KeyPair], case: str) -> None:
    sigs = [bls.sign(k.secret, DIGEST) for k in keys]
    agg = bls.aggregate_g1(sigs)
    apk1 = bls.aggregate_g1(k.pk1 for k in keys)
    apk2 = bls.aggregate_g2(k.pk2 for k in keys)
    if case == "missing-signer":
        apk1, apk2 = bls.aggregate_g1([keys[0].pk1, keys[1].pk1]), bls.aggregate_g2([keys[0].pk2, keys[1].pk2])
    elif case == "mismatched-g2":
        apk2 = bls.aggregate_g2([keys[0].pk2, keys[1].pk2])
    elif case == "double-counted":
        agg = agg + sigs[0]
    else:
        agg = bls.G1Point(0, 0)
    assert not bls.verify_with_g1_key(apk1, apk2, DIGEST, agg)


def test_proof_of_possession(keys: list[bls.KeyPair]) -> None:
    pop = bls.prove_possession(keys[0])
    assert bls.verify_possession(keys[0].pk1, keys[0].pk2, pop)
    # a rogue key pk_r = x*G - pk_honest has no known secret: a PoP made for another key fails
    rogue1 = bls.G1_GENERATOR * 5 + -keys[1].pk1
    rogue2 = bls.G2_GENERATOR * 5 + -keys[1].pk2
    assert not bls.verify_possession(rogue1, rogue2, pop)
