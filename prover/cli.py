"""Command-line entry points: the ``prover`` click group and the ``bench prover`` command.

The top-level ``omnit`` CLI (rollup/cli.py) mounts :data:`prover` as ``omnit prover`` and
:data:`bench_prover` under ``omnit bench`` as ``prover``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .backend import BACKEND_NAMES, Backend, get_backend
from .errors import ProverError
from .model_commit import (
    DEFAULT_CHUNK_SIZE,
    ChunkProof,
    commit_model,
    prove_chunk,
    read_chunk,
    verify_chunk,
)

__all__ = ["prover", "bench_prover", "bench", "main"]

F = TypeVar("F", bound=Callable[..., Any])

_backend_option = click.option(
    "--backend",
    type=click.Choice(BACKEND_NAMES, case_sensitive=False),
    default=None,
    help="Force a hashing backend (default: $OMNIT_PROVER_BACKEND, else the fastest available).",
)
_chunk_option = click.option(
    "--chunk-size",
    type=click.IntRange(1, 1 << 32),
    default=DEFAULT_CHUNK_SIZE,
    show_default=True,
    help="Bytes per committed chunk.",
)


def _backend(name: str | None) -> Backend:
    try:
        return get_backend(name)
    except ProverError as exc:
        raise click.ClickException(str(exc)) from exc


def _emit(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2))


def _progress_bar(enabled: bool) -> tuple[Callable[[int, int], None] | None, Any]:
    if not enabled:
        return None, None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("hashing", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update, bar


@click.group(name="prover")
def prover() -> None:
    """Commitments: model-weight roots and chunk proofs."""


@prover.command("commit-model")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_chunk_option
@_backend_option
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: if a TTY).")
@click.option("--tensors/--no-tensors", default=True, help="Include the tensor layout list.")
def commit_model_cmd(
    path: Path, chunk_size: int, backend: str | None, progress: bool | None, tensors: bool
) -> None:
    """Print the weights commitment of a safetensors or PyTorch state_dict file as JSON."""
    be = _backend(backend)
    show = sys.stderr.isatty() if progress is None else progress
    update, bar = _progress_bar(show)
    try:
        if bar is not None:
            with bar:
                c = commit_model(path, chunk_size, be, update)
        else:
            c = commit_model(path, chunk_size, be)
    except ProverError as exc:
        raise click.ClickException(str(exc)) from exc
    out = c.to_json(with_tensors=tensors)
    out["backend"] = be.name
    _emit(out)


@prover.command("prove-chunk")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("index", type=click.IntRange(0))
@_chunk_option
@_backend_option
@click.option("--chunk-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the chunk's bytes to this file.")
def prove_chunk_cmd(
    path: Path, index: int, chunk_size: int, backend: str | None, chunk_out: Path | None
) -> None:
    """Print the proof that chunk INDEX belongs to the model's commitment (JSON)."""
    be = _backend(backend)
    try:
        chunk, proof = prove_chunk(path, index, chunk_size, be)
    except ProverError as exc:
        raise click.ClickException(str(exc)) from exc
    if chunk_out is not None:
        chunk_out.write_bytes(chunk)
    out = proof.to_json()
    out["chunk_length"] = len(chunk)
    _emit(out)


@prover.command("verify-chunk")
@click.argument("proof_file", type=click.File("r"))
@click.option("--model", "model", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Read the chunk from this model file.")
@click.option("--chunk-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Read the chunk's raw bytes from this file.")
@click.option("--root", default=None, help="Expected commitment root (0x-hex); default: the proof's.")
def verify_chunk_cmd(
    proof_file: Any, model: Path | None, chunk_file: Path | None, root: str | None
) -> None:
    """Check a proof from prove-chunk (PROOF_FILE, '-' for stdin). Exit 1 if it does not hold."""
    if (model is None) == (chunk_file is None):
        raise click.UsageError("give exactly one of --model or --chunk-file")
    try:
        proof = ChunkProof.from_json(json.load(proof_file))
        chunk = (
            chunk_file.read_bytes()
            if chunk_file is not None
            else read_chunk(model, proof.chunk.index, proof.chunk_size)  # type: ignore[arg-type]
        )
        expected = bytes.fromhex(root.removeprefix("0x")) if root else proof.root
    except (ProverError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    ok = verify_chunk(expected, chunk, proof)
    _emit({"valid": ok, "root": "0x" + expected.hex(), "index": proof.chunk.index})
    if not ok:
        sys.exit(1)


@click.command("prover")
@click.option("--json", "as_json", is_flag=True, help="JSON lines; the last one carries `ratio`.")
@click.option("--backend", "backends", multiple=True,
              type=click.Choice(BACKEND_NAMES, case_sensitive=False),
              help="Backends to measure (default: all available).")
@click.option("--model-mib", type=click.IntRange(0), default=256, show_default=True,
              help="Size of the generated safetensors file (0 skips the model benchmark).")
def bench_prover(as_json: bool, backends: tuple[str, ...], model_mib: int) -> None:
    """Benchmark the prover backends against a pure-Python keccak loop."""
    from .bench import run_bench

    if as_json:
        run_bench(backends or None, model_mib, emit=lambda line: click.echo(json.dumps(line)))
        return
    from rich.console import Console
    from rich.table import Table

    results = run_bench(backends or None, model_mib)
    table = Table(title="prover benchmark")
    rows = [r for r in results if "backend" in r]
    keys = [k for k in rows[0] if k != "backend"] if rows else []
    table.add_column("backend")
    for k in keys:
        table.add_column(k, justify="right")
    for r in rows:
        table.add_row(r["backend"], *(str(r.get(k)) for k in keys))
    Console().print(table)
    click.echo(json.dumps(results[-1]))


bench = bench_prover
"""Alias: rollup/cli.py mounts ``prover.cli:bench`` as ``omnit bench prover``."""


def main() -> None:
    """Standalone entry (``python -m prover.cli``) until the lead wires ``omnit``."""
    group = click.Group(commands={"prover": prover, "bench-prover": bench_prover})
    group(prog_name=os.path.basename(sys.argv[0]))


if __name__ == "__main__":
    main()
