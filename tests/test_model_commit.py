"""Model-weight commitments: format, cross-backend equality, proofs and bad input."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from eth_hash.auto import keccak
from safetensors.torch import save_file

from prover.backend import PythonBackend, get_backend
from prover.cli import prover as prover_cli
from prover.errors import (
    IndexOutOfRange,
    ModelFileError,
    NotAStateDict,
    SafetensorsHeaderError,
    TruncatedModelFile,
    UnknownDtype,
)
from prover.merkle import list_root
from prover.model_commit import (
    ChunkProof,
    TensorLayout,
    commit_model,
    commitment_root,
    encode_layout,
    prove_chunk,
    read_chunk,
    verify_chunk,
)

PY = PythonBackend()


def state_dict() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "encoder.weight": torch.randn(33, 17, generator=g),
        "encoder.bias": torch.randn(17, generator=g).to(torch.float16),
        "emb": torch.randint(0, 1000, (7, 5), generator=g),
        "norm.bf16": torch.randn(9, generator=g).to(torch.bfloat16),
        "mask": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5, dtype=torch.float64),
        "empty": torch.zeros(0, 4),
    }


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    sd = state_dict()
    st, pt = tmp_path / "m.safetensors", tmp_path / "m.pt"
    save_file(sd, str(st))
    torch.save(sd, pt)
    return st, pt


def stream_bytes(sd: dict[str, torch.Tensor]) -> bytes:
    return b"".join(
        sd[k].contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() for k in sorted(sd)
    )


def reference_root(sd: dict[str, torch.Tensor], chunk: int) -> bytes:
    """Independent re-statement of the format."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64",
             torch.bfloat16: "BF16", torch.bool: "BOOL", torch.float64: "F64"}
    data = stream_bytes(sd)
    layouts, off = [], 0
    for k in sorted(sd):
        n = sd[k].numel() * sd[k].element_size()
        layouts.append(encode_layout(TensorLayout(k, names[sd[k].dtype], tuple(sd[k].shape), off, n)))
        off += n
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return commitment_root(chunk, len(data), list_root(layouts, PY), list_root(chunks, PY))


@pytest.mark.parametrize("chunk", [1, 64, 100, 1000, 1 << 20])
def test_formats_and_backends_agree(files, chunk: int) -> None:
    st, pt = files
    expected = reference_root(state_dict(), chunk)
    native = get_backend("native")
    for path in (st, pt):
        for be in (native, PY) if chunk >= 64 else (native,):
            c = commit_model(path, chunk, be)
            assert c.root == expected, (path.name, be.name)
    c = commit_model(st, chunk)
    assert c.total_bytes == len(stream_bytes(state_dict()))
    assert c.num_chunks == -(-c.total_bytes // chunk)
    assert [t.name for t in c.tensors] == sorted(state_dict())


def test_layout_is_committed(tmp_path: Path) -> None:
    a = {"w": torch.arange(12, dtype=torch.float32)}
    variants = {
        "base": a,
        "renamed": {"v": a["w"]},
        "reshaped": {"w": a["w"].reshape(3, 4)},
        "retyped": {"w": a["w"].view(torch.int32)},
    }
    roots = set()
    for name, sd in variants.items():
        save_file(sd, str(tmp_path / f"{name}.safetensors"))
        c = commit_model(tmp_path / f"{name}.safetensors", 16)
        roots.add(c.root)
        assert c.data_root == commit_model(tmp_path / "base.safetensors", 16).data_root
    assert len(roots) == 4


def test_empty_model(tmp_path: Path) -> None:
    save_file({}, str(tmp_path / "e.safetensors"))
    c = commit_model(tmp_path / "e.safetensors")
    assert c.num_chunks == 0 and c.total_bytes == 0
    empty_list = keccak(bytes(64))
    assert c.data_root == empty_list and c.layout_root == empty_list


def test_chunk_proofs(files) -> None:
    st, pt = files
    c = commit_model(st, 100)
    data = stream_bytes(state_dict())
    for i in (0, 1, c.num_chunks // 2, c.num_chunks - 1):
        chunk, proof = prove_chunk(pt, i, 100, commitment=None)
        assert chunk == data[i * 100 : (i + 1) * 100] == read_chunk(st, i, 100)
        assert proof.root == c.root
        assert verify_chunk(c.root, chunk, proof)
        assert ChunkProof.from_json(json.loads(json.dumps(proof.to_json()))) == proof
    last, proof = prove_chunk(st, c.num_chunks - 1, 100, commitment=c)
    assert len(last) == c.total_bytes - 100 * (c.num_chunks - 1) < 100  # unaligned tail
    chunk1, p1 = prove_chunk(st, 1, 100, commitment=c)
    # wrong chunk, wrong index, tampered sibling, wrong root, wrong layout, truncated chunk
    assert not verify_chunk(c.root, read_chunk(st, 2, 100), p1)
    moved = ChunkProof(p1.root, 100, p1.total_bytes, p1.layout_root,
                       type(p1.chunk)(2, p1.chunk.size, p1.chunk.siblings))
    assert not verify_chunk(c.root, chunk1, moved)
    sibs = list(p1.chunk.siblings)
    sibs[0] = bytes(32)
    bad = ChunkProof(p1.root, 100, p1.total_bytes, p1.layout_root,
                     type(p1.chunk)(1, p1.chunk.size, tuple(sibs)))
    assert not verify_chunk(c.root, chunk1, bad)
    assert not verify_chunk(os.urandom(32), chunk1, p1)
    relaid = ChunkProof(p1.root, 100, p1.total_bytes, os.urandom(32), p1.chunk)
    assert not verify_chunk(c.root, chunk1, relaid)
    assert not verify_chunk(c.root, chunk1[:-1], p1)
    with pytest.raises(IndexOutOfRange):
        prove_chunk(st, c.num_chunks, 100, commitment=c)


def _write_raw_safetensors(path: Path, header: object, data: bytes = b"", hlen: int | None = None) -> None:
    raw = json.dumps(header).encode() if not isinstance(header, bytes) else header
    path.write_bytes(struct.pack("<Q", len(raw) if hlen is None else hlen) + raw + data)


@pytest.mark.parametrize(
    "header,data,error",
    [
        (b"{not json", b"", SafetensorsHeaderError),
        ([1, 2], b"", SafetensorsHeaderError),
        ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, bytes(8), SafetensorsHeaderError),
        ({"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, bytes(8), UnknownDtype),
        ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8), TruncatedModelFile),
        ({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(8), SafetensorsHeaderError),
        ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, bytes(8), SafetensorsHeaderError),
        ({"w": {"dtype": "F32", "shape": [1]}}, bytes(8), SafetensorsHeaderError),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
          "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12), SafetensorsHeaderError),
        ({"__metadata__": "x"}, b"", SafetensorsHeaderError),
    ],
)
def test_bad_safetensors(tmp_path: Path, header, data, error) -> None:
    path = tmp_path / "bad.safetensors"
    _write_raw_safetensors(path, header, data)
    with pytest.raises(error):
        commit_model(path)


def test_truncated_files(tmp_path: Path, files) -> None:
    st, pt = files
    raw = st.read_bytes()
    for cut in (3, 8, 20, len(raw) - 1):
        bad = tmp_path / f"cut{cut}.safetensors"
        bad.write_bytes(raw[:cut])
        with pytest.raises(ModelFileError):
            commit_model(bad)
    huge = tmp_path / "huge.safetensors"
    _write_raw_safetensors(huge, {}, hlen=1 << 40)
    with pytest.raises(SafetensorsHeaderError):
        commit_model(huge)
    praw = pt.read_bytes()
    badpt = tmp_path / "cut.pt"
    badpt.write_bytes(praw[: len(praw) // 2])
    with pytest.raises(ModelFileError):
        commit_model(badpt)


class NotAllowed:
    pass


@pytest.mark.parametrize(
    "obj,error",
    [
        ({"w": torch.ones(2), "epoch": 3}, NotAStateDict),
        ({"model": {"w": torch.ones(2)}}, NotAStateDict),
        ([torch.ones(2)], NotAStateDict),
        ({"w": torch.ones(2, dtype=torch.complex64)}, UnknownDtype),
        ({"w": NotAllowed()}, NotAStateDict),
    ],
)
def test_bad_pickles(tmp_path: Path, obj, error) -> None:
    path = tmp_path / "bad.pt"
    torch.save(obj, path)
    with pytest.raises(error):
        commit_model(path)


def test_non_contiguous_and_shared_tensors(tmp_path: Path) -> None:
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    sd = {"t": base.t(), "a": base, "tied": base}
    torch.save(sd, tmp_path / "nc.pt")
    save_file({k: v.contiguous().clone() for k, v in sd.items()}, str(tmp_path / "nc.safetensors"))
    assert commit_model(tmp_path / "nc.pt", 40).root == commit_model(tmp_path / "nc.safetensors", 40).root


def test_many_small_tensors_spanning_chunks(tmp_path: Path) -> None:
    sd = {f"t{i:03d}": torch.full((i % 7,), float(i)) for i in range(150)}
    save_file(sd, str(tmp_path / "s.safetensors"))
    for chunk in (3, 64, 4096):
        native = commit_model(tmp_path / "s.safetensors", chunk, get_backend("native"))
        assert native.root == reference_root(sd, chunk)
        assert native.root == commit_model(tmp_path / "s.safetensors", chunk, PY).root


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError):
        commit_model(tmp_path / "nope.safetensors")


def test_cli_commit_prove_verify(tmp_path: Path, files) -> None:
    st, pt = files
    runner = CliRunner()
    res = runner.invoke(prover_cli, ["commit-model", str(st), "--chunk-size", "128", "--no-progress"])
    assert res.exit_code == 0, res.output
    commitment = json.loads(res.output)
    assert commitment["root"] == "0x" + commit_model(st, 128).root.hex()
    res = runner.invoke(
        prover_cli,
        ["prove-chunk", str(pt), "2", "--chunk-size", "128", "--chunk-out", str(tmp_path / "c2")],
    )
    assert res.exit_code == 0, res.output
    (tmp_path / "p.json").write_text(res.output)
    ok = runner.invoke(prover_cli, ["verify-chunk", str(tmp_path / "p.json"), "--model", str(st),
                                    "--root", commitment["root"]])
    assert ok.exit_code == 0 and json.loads(ok.output)["valid"] is True
    ok2 = runner.invoke(prover_cli, ["verify-chunk", str(tmp_path / "p.json"), "--chunk-file",
                                     str(tmp_path / "c2")])
    assert ok2.exit_code == 0
    bad = runner.invoke(prover_cli, ["verify-chunk", str(tmp_path / "p.json"), "--chunk-file", str(st)])
    assert bad.exit_code == 1 and json.loads(bad.output)["valid"] is False
    (tmp_path / "x.safetensors").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{bad}")
    err = runner.invoke(prover_cli, ["commit-model", str(tmp_path / "x.safetensors")])
    assert err.exit_code == 1 and "bad safetensors header" in err.output


def test_legacy_pytorch_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(3)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(ModelFileError, match="legacy"):
        commit_model(path)


def test_progress_callback_and_bar(files) -> None:
    st, _ = files
    seen: list[tuple[int, int]] = []
    c = commit_model(st, 64, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (c.total_bytes, c.total_bytes)
    res = CliRunner().invoke(prover_cli, ["commit-model", str(st), "--progress"])
    assert res.exit_code == 0
    assert json.loads(res.output[res.output.index("{"):])["root"] == "0x" + commit_model(st).root.hex()
