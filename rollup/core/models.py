"""ModelRegistry: registering and updating AI models (weights commitment + metadata URI).

- ``registerModel(weightsCommitment, metadataURI) -> modelId``: ids are sequential from 1; the
  sender becomes the owner; version 1; event ``ModelRegistered``.
- ``updateModel(modelId, weightsCommitment, metadataURI) -> version``: owner only; bumps the
  version (the relayer's attestations are monotonic in it); event ``ModelUpdated``.
- ``getModel(modelId)``: the record as a tuple; an unknown id returns all zeros (status NONE).
- ``modelCount()``: the number of models registered.
"""

from __future__ import annotations

from dataclasses import replace

from eth_abi import encode as abi_encode

from .constants import MAX_METADATA_URI_BYTES
from .records import Model, ModelStatus
from .system_contracts import CallContext, Revert
from .types import Address, Hash32

__all__ = ["register_model", "update_model", "get_model", "model_count", "MODEL_OUTPUT_TYPES"]

MODEL_OUTPUT_TYPES = ("address", "bytes32", "string", "uint8", "uint64", "uint64", "uint64")
"""ABI types of getModel's return tuple."""


def _check(weights: bytes, uri: str) -> None:
    if weights == bytes(32):
        raise Revert("weightsCommitment must be non-zero")
    size = len(uri.encode())
    if size > MAX_METADATA_URI_BYTES:
        raise Revert(f"metadataURI too long: {size} bytes, at most {MAX_METADATA_URI_BYTES}")


def register_model(ctx: CallContext, args: tuple) -> bytes:
    weights, uri = args
    _check(weights, uri)
    g = ctx.state.globals()
    model_id = g.next_model_id
    block = ctx.env.number
    ctx.state.set_model(
        model_id,
        Model(ctx.sender, Hash32(weights), uri, ModelStatus.ACTIVE, 1, block, block),
    )
    ctx.state.set_globals(replace(g, next_model_id=model_id + 1))
    ctx.emit("ModelRegistered", model_id, ctx.sender, weights, uri)
    return abi_encode(["uint256"], [model_id])


def update_model(ctx: CallContext, args: tuple) -> bytes:
    model_id, weights, uri = args
    model = ctx.state.model(model_id)
    if model is None:
        raise Revert(f"model {model_id} does not exist")
    if model.owner != ctx.sender:
        raise Revert(
            f"only the owner 0x{model.owner.hex()} may update model {model_id}, "
            f"sender is 0x{ctx.sender.hex()}"
        )
    _check(weights, uri)
    version = model.version + 1
    ctx.state.set_model(
        model_id,
        Model(model.owner, Hash32(weights), uri, model.status, version, model.registered_block,
              ctx.env.number),
    )
    ctx.emit("ModelUpdated", model_id, model.owner, weights, uri, version)
    return abi_encode(["uint64"], [version])


def get_model(ctx: CallContext, args: tuple) -> bytes:
    (model_id,) = args
    m = ctx.state.model(model_id)
    if m is None:
        values = [Address(bytes(20)), bytes(32), "", 0, 0, 0, 0]
    else:
        values = [m.owner, m.weights_commitment, m.metadata_uri, int(m.status), m.version,
                  m.registered_block, m.updated_block]
    return abi_encode(list(MODEL_OUTPUT_TYPES), values)


def model_count(ctx: CallContext, args: tuple) -> bytes:
    return abi_encode(["uint256"], [ctx.state.globals().next_model_id - 1])
