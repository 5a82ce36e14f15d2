"""``python -m kernels [--force]``: prebuild the CPU kernel library (for ``make kernels``)."""

from __future__ import annotations

import sys

from .errors import KernelError
from .loader import build_native, load_native


def main(argv: list[str] | None = None) -> int:
    """Build (or rebuild with ``--force``) and load the library; print its path."""
    args = sys.argv[1:] if argv is None else argv
    try:
        path = build_native(force="--force" in args)
        lib = load_native()
    except KernelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{path} ({lib.threads} OpenMP threads)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
