"""BLS signatures on BN254 as the relay contracts verify them (docs/spec.md §7 section 3).

Scheme: secret key ``sk`` in ``[1, r)``; public keys in BOTH groups, ``pk1 = sk*G1`` and
``pk2 = sk*G2``; signature in G1, ``sig = sk*H(m)`` with :func:`hash_to_g1`. Aggregation is point
addition of signatures and of keys.

Contracts hold only the G1 keys (cheap to add with ecAdd) and receive the signers' aggregate G2
key from the relayer; one pairing-product check binds the two and verifies the signature::

    gamma = keccak(digest ++ sig ++ apk1 ++ apk2) mod r
    e(sig + gamma*apk1, -G2) * e(H(m) + gamma*G1, apk2) == 1

which holds for random ``gamma`` iff ``e(sig, G2) == e(H(m), apk2)`` and
``e(apk1, G2) == e(G1, apk2)``. Registered keys carry a proof of possession (:func:`prove_possession`)
so a rogue key (``pk - honest``) cannot be registered.

Encodings follow the precompiles (EIP-196/197): G1 as ``(x, y)``, G2 as ``(x.c1, x.c0, y.c1, y.c0)``
(imaginary part first), infinity as zeros. Math is py-ecc's ``optimized_bn128`` (the oracle).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from eth_hash.auto import keccak
from py_ecc import optimized_bn128 as bn
from py_ecc.optimized_bn128 import FQ, FQ2, FQ12

__all__ = [
    "BlsError",
    "InvalidPoint",
    "InvalidSecretKey",
    "FIELD_MODULUS",
    "CURVE_ORDER",
    "HASH_TO_G1_DOMAIN",
    "MAX_HASH_TRIES",
    "G1Point",
    "G2Point",
    "G1_GENERATOR",
    "G2_GENERATOR",
    "KeyPair",
    "secret_key_from_seed",
    "random_secret_key",
    "hash_to_g1",
    "hash_to_g1_with_counter",
    "sign",
    "aggregate_g1",
    "aggregate_g2",
    "verify",
    "binding_gamma",
    "verify_with_g1_key",
    "pop_payload",
    "pop_digest",
    "prove_possession",
    "verify_possession",
]

FIELD_MODULUS: int = bn.field_modulus
"""p: the BN254 base field modulus (coordinates are integers below it)."""

CURVE_ORDER: int = bn.curve_order
"""r: the order of G1 and G2 (secret keys and gamma are reduced modulo it)."""

HASH_TO_G1_DOMAIN: bytes = keccak(b"OmniTensor/relay/v1/hash-to-G1/try-and-increment")
"""32-byte prefix of every hash-to-curve attempt: separates this map from any other keccak use."""

MAX_HASH_TRIES = 256
"""Counter is one byte; each try succeeds with probability ~1/2, so 256 failures never happen."""

_SQRT_EXP = (FIELD_MODULUS + 1) // 4
"""p = 3 mod 4, so a square s has the root s^((p+1)/4) (one modexp on chain)."""

_KEYGEN_DOMAIN = b"OmniTensor/relay/v1/keygen"
"""Prefix for deterministic key derivation from a seed."""


class BlsError(ValueError):
    """Base class of BLS errors."""


class InvalidPoint(BlsError):
    """Coordinates that are not a point of the group (or not below p)."""

    def __init__(self, group: str, coords: Sequence[int]) -> None:
        super().__init__(f"not a {group} point: {tuple(hex(c) for c in coords)}")
        self.group = group
        self.coords = tuple(coords)


class InvalidSecretKey(BlsError):
    """A secret key outside ``[1, r)``."""

    def __init__(self) -> None:
        super().__init__("secret key must be in [1, curve_order)")


@dataclass(frozen=True, slots=True)
class G1Point:
    """Affine G1 point; ``(0, 0)`` is the point at infinity (as for the precompiles)."""

    x: int
    y: int

    def __post_init__(self) -> None:
        if not self.is_infinity():
            if not (0 <= self.x < FIELD_MODULUS and 0 <= self.y < FIELD_MODULUS) or not bn.is_on_curve(
                (FQ(self.x), FQ(self.y), FQ.one()), bn.b
            ):
                raise InvalidPoint("G1", (self.x, self.y))

    def is_infinity(self) -> bool:
        return self.x == 0 and self.y == 0

    def to_evm(self) -> tuple[int, int]:
        """``uint256[2]`` as ecAdd/ecMul/ecPairing take it."""
        return (self.x, self.y)

    def to_bytes(self) -> bytes:
        """64 bytes: ``u256(x) ++ u256(y)``."""
        return self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")

    def _jac(self) -> tuple[FQ, FQ, FQ]:
        if self.is_infinity():
            return bn.Z1
        return (FQ(self.x), FQ(self.y), FQ.one())

    @classmethod
    def _from_jac(cls, pt: tuple[FQ, FQ, FQ]) -> "G1Point":
        if bn.is_inf(pt):
            return cls(0, 0)
        x, y = bn.normalize(pt)
        return cls(int(x), int(y))

    @classmethod
    def from_evm(cls, words: Sequence[int]) -> "G1Point":
        return cls(int(words[0]), int(words[1]))

    def __add__(self, other: "G1Point") -> "G1Point":
        return G1Point._from_jac(bn.add(self._jac(), other._jac()))

    def __neg__(self) -> "G1Point":
        return G1Point._from_jac(bn.neg(self._jac()))

    def __mul__(self, scalar: int) -> "G1Point":
        return G1Point._from_jac(bn.multiply(self._jac(), scalar % CURVE_ORDER))

    __rmul__ = __mul__


@dataclass(frozen=True, slots=True)
class G2Point:
    """Affine G2 point over Fp2 = Fp[i]/(i^2+1); coordinates as ``(c0, c1)`` = ``c0 + c1*i``.

    All zeros is infinity. Membership in the order-r subgroup is checked on construction (the
    twist has a large cofactor; the ecPairing precompile rejects points outside the subgroup).
    """

    x: tuple[int, int]
    y: tuple[int, int]

    def __post_init__(self) -> None:
        if self.is_infinity():
            return
        coords = (*self.x, *self.y)
        if not all(0 <= c < FIELD_MODULUS for c in coords):
            raise InvalidPoint("G2", coords)
        jac = self._jac()
        if not bn.is_on_curve(jac, bn.b2) or not bn.is_inf(bn.multiply(jac, CURVE_ORDER)):
            raise InvalidPoint("G2", coords)

    def is_infinity(self) -> bool:
        return self.x == (0, 0) and self.y == (0, 0)

    def to_evm(self) -> tuple[int, int, int, int]:
        """``uint256[4]`` in EIP-197 order: ``(x.c1, x.c0, y.c1, y.c0)``."""
        return (self.x[1], self.x[0], self.y[1], self.y[0])

    def to_bytes(self) -> bytes:
        """128 bytes: the four EIP-197 words, big-endian."""
        return b"".join(w.to_bytes(32, "big") for w in self.to_evm())

    @classmethod
    def from_evm(cls, words: Sequence[int]) -> "G2Point":
        return cls((int(words[1]), int(words[0])), (int(words[3]), int(words[2])))

    def _jac(self) -> tuple[FQ2, FQ2, FQ2]:
        if self.is_infinity():
            return bn.Z2
        return (FQ2(list(self.x)), FQ2(list(self.y)), FQ2.one())

    @classmethod
    def _from_jac(cls, pt: tuple[FQ2, FQ2, FQ2]) -> "G2Point":
        if bn.is_inf(pt):
            return cls((0, 0), (0, 0))
        x, y = bn.normalize(pt)
        return cls._trusted((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))

    @classmethod
    def _trusted(cls, x: tuple[int, int], y: tuple[int, int]) -> "G2Point":
        """Build without the (slow) subgroup check: only for results of group operations."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "x", x)
        object.__setattr__(obj, "y", y)
        return obj

    def __add__(self, other: "G2Point") -> "G2Point":
        return G2Point._from_jac(bn.add(self._jac(), other._jac()))

    def __neg__(self) -> "G2Point":
        return G2Point._from_jac(bn.neg(self._jac()))

    def __mul__(self, scalar: int) -> "G2Point":
        return G2Point._from_jac(bn.multiply(self._jac(), scalar % CURVE_ORDER))

    __rmul__ = __mul__


G1_GENERATOR = G1Point(1, 2)
"""The standard G1 generator (1, 2)."""

G2_GENERATOR = G2Point._from_jac(bn.G2)
"""The standard G2 generator of EIP-197."""


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A validator's BLS key: the secret and its G1 public key; the G2 key is derived on demand."""

    secret: int
    pk1: G1Point

    @classmethod
    def from_secret(cls, secret: int) -> "KeyPair":
        if not 0 < secret < CURVE_ORDER:
            raise InvalidSecretKey()
        return cls(secret, G1_GENERATOR * secret)

    @classmethod
    def from_seed(cls, seed: bytes) -> "KeyPair":
        return cls.from_secret(secret_key_from_seed(seed))

    @classmethod
    def generate(cls) -> "KeyPair":
        return cls.from_secret(random_secret_key())

    @property
    def pk2(self) -> G2Point:
        """``sk * G2`` (one G2 multiplication, cached)."""
        return _g2_mul_cached(self.secret)

    def __repr__(self) -> str:  # never print the secret
        return f"KeyPair(pk1=({hex(self.pk1.x)}, {hex(self.pk1.y)}))"


@lru_cache(maxsize=1024)
def _g2_mul_cached(secret: int) -> G2Point:
    return G2_GENERATOR * secret


def secret_key_from_seed(seed: bytes) -> int:
    """Deterministic key: ``keccak(domain ++ seed ++ u8(i)) mod r`` for the first i giving non-zero."""
    for i in range(256):
        sk = int.from_bytes(keccak(_KEYGEN_DOMAIN + seed + bytes([i])), "big") % CURVE_ORDER
        if sk:
            return sk
    raise InvalidSecretKey()  # pragma: no cover - needs 256 keccak outputs divisible by r


def random_secret_key() -> int:
    """A uniformly random secret key from the OS CSPRNG."""
    return secrets.randbelow(CURVE_ORDER - 1) + 1


def hash_to_g1_with_counter(message: bytes) -> tuple[G1Point, int]:
    """Try-and-increment: the point and the counter that produced it.

    For ``ctr = 0, 1, ...``: ``x = keccak(HASH_TO_G1_DOMAIN ++ message ++ u8(ctr)) mod p``;
    ``s = x^3 + 3``; ``y = s^((p+1)/4) mod p``; accept if ``y^2 == s``, then use ``min(y, p - y)``
    as the y coordinate (the even-looking, canonical root). G1 has cofactor 1: every point is in
    the group.
    """
    p = FIELD_MODULUS
    for ctr in range(MAX_HASH_TRIES):
        x = int.from_bytes(keccak(HASH_TO_G1_DOMAIN + message + bytes([ctr])), "big") % p
        s = (pow(x, 3, p) + 3) % p
        y = pow(s, _SQRT_EXP, p)
        if y * y % p == s:
            return G1Point(x, min(y, p - y)), ctr
    raise BlsError("hash_to_g1: no point found")  # pragma: no cover - probability 2^-256


def hash_to_g1(message: bytes) -> G1Point:
    """``H(m)``: the G1 point a signature over ``message`` multiplies (see the counter variant)."""
    return hash_to_g1_with_counter(message)[0]


def sign(secret: int, message: bytes) -> G1Point:
    """``sk * H(message)``."""
    return hash_to_g1(message) * secret


def aggregate_g1(points: Iterable[G1Point]) -> G1Point:
    """Sum of G1 points (signatures or G1 keys); infinity for none."""
    acc = bn.Z1
    for pt in points:
        acc = bn.add(acc, pt._jac())
    return G1Point._from_jac(acc)


def aggregate_g2(points: Iterable[G2Point]) -> G2Point:
    """Sum of G2 keys; infinity for none."""
    acc = bn.Z2
    for pt in points:
        acc = bn.add(acc, pt._jac())
    return G2Point._from_jac(acc)


def _pairing_product_is_one(pairs: Sequence[tuple[G1Point, G2Point]]) -> bool:
    """``prod e(P_i, Q_i) == 1`` with one final exponentiation (what ecPairing computes)."""
    acc = FQ12.one()
    for p1, q2 in pairs:
        if p1.is_infinity() or q2.is_infinity():
            continue
        acc = acc * bn.pairing(q2._jac(), p1._jac(), final_exponentiate=False)
    return bn.final_exponentiate(acc) == FQ12.one()


def verify(pk2: G2Point, message: bytes, signature: G1Point) -> bool:
    """Plain check ``e(sig, G2) == e(H(m), pk2)``; rejects infinity keys and signatures."""
    if pk2.is_infinity() or signature.is_infinity():
        return False
    return _pairing_product_is_one([(signature, -G2_GENERATOR), (hash_to_g1(message), pk2)])


def binding_gamma(digest: bytes, signature: G1Point, apk1: G1Point, apk2: G2Point) -> int:
    """``keccak(digest ++ sig ++ apk1 ++ apk2) mod r``: the random-looking combination factor."""
    data = digest + signature.to_bytes() + apk1.to_bytes() + apk2.to_bytes()
    return int.from_bytes(keccak(data), "big") % CURVE_ORDER


def verify_with_g1_key(apk1: G1Point, apk2: G2Point, digest: bytes, signature: G1Point) -> bool:
    """The contracts' check: one pairing product over (sig, apk1) and (H(m), G1) with gamma."""
    if apk2.is_infinity() or apk1.is_infinity() or signature.is_infinity():
        return False
    gamma = binding_gamma(digest, signature, apk1, apk2)
    left = signature + apk1 * gamma
    right = hash_to_g1(digest) + G1_GENERATOR * gamma
    return _pairing_product_is_one([(left, -G2_GENERATOR), (right, apk2)])


def pop_payload(pk1: G1Point, pk2: G2Point) -> bytes:
    """``keccak(pk1 ++ pk2)`` (EVM encodings): the payload hash a proof of possession signs.

    The signed digest is :func:`relayer.messages.signing_digest` with kind POP, origin chain 0
    and origin contract zero: a key's proof is valid on every chain.
    """
    return keccak(pk1.to_bytes() + pk2.to_bytes())


def pop_digest(pk1: G1Point, pk2: G2Point) -> bytes:
    """``signing_digest(POP, 0, zero, pop_payload(pk1, pk2))``: what a proof of possession signs."""
    from .messages import MessageKind, signing_digest  # local: messages imports nothing from here

    return signing_digest(MessageKind.POP, 0, bytes(32), pop_payload(pk1, pk2))


def prove_possession(key: KeyPair) -> G1Point:
    """Proof of possession: ``sk * H(pop digest)``, registered with the keys."""
    return sign(key.secret, pop_digest(key.pk1, key.pk2))


def verify_possession(pk1: G1Point, pk2: G2Point, proof: G1Point) -> bool:
    """The registry's check: the PoP verifies under (pk1, pk2) bound by gamma."""
    return verify_with_g1_key(pk1, pk2, pop_digest(pk1, pk2), proof)
