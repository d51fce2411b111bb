#!/usr/bin/env python3
"""Generates the Python gRPC stubs of the gymhost client from the repository's .proto files.

The stubs live in ``src/gymhost/v1/`` (``*_pb2.py``, ``*_pb2.pyi``, ``*_pb2_grpc.py``) and are
committed, so ``pip install clients/python`` needs no code generator. They come from the same
``proto/gymhost/v1/*.proto`` the server is generated from: run this script after changing a
.proto file (the test suite fails while they differ).

    python clients/python/generate.py           # regenerate in place
    python clients/python/generate.py --check   # exit 1 if the committed stubs are stale

Needs grpcio-tools (pinned in clients/python/requirements-test.txt: the stubs depend on the
generator's version, so regenerate with that version).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
PROTO_ROOT = REPO_ROOT / "proto"
PACKAGE_ROOT = HERE / "src"
GENERATED_DIR = PACKAGE_ROOT / "gymhost" / "v1"
SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_files() -> list[Path]:
    return sorted((PROTO_ROOT / "gymhost" / "v1").glob("*.proto"))


def generate(out_root: Path) -> list[Path]:
    """Runs protoc (grpc_tools) on every gymhost/v1 .proto into out_root; returns the files made."""
    try:
        import grpc_tools
        from grpc_tools import protoc
    except ImportError:  # pragma: no cover - depends on the environment
        sys.exit("generate.py needs grpcio-tools: pip install -r clients/python/requirements-test.txt")
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = [str(p.relative_to(PROTO_ROOT)) for p in proto_files()]
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *files,
    ]
    code = protoc.main(args)
    if code != 0:
        sys.exit(f"protoc failed with exit code {code}")
    return sorted(p for p in (out_root / "gymhost" / "v1").iterdir() if p.name.endswith(SUFFIXES))


def committed() -> list[Path]:
    return sorted(p for p in GENERATED_DIR.iterdir() if p.name.endswith(SUFFIXES))


def stale(tmp: Path) -> list[str]:
    """Names of generated files that differ from (or are missing in, or extra in) the package."""
    fresh = {p.name: p for p in generate(tmp)}
    have = {p.name: p for p in committed()}
    problems = [f"missing: {n}" for n in sorted(fresh.keys() - have.keys())]
    problems += [f"extra: {n}" for n in sorted(have.keys() - fresh.keys())]
    problems += [f"differs: {n}" for n in sorted(fresh.keys() & have.keys()) if not filecmp.cmp(fresh[n], have[n], shallow=False)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed stubs instead of writing them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.check:
            problems = stale(tmp)
            if problems:
                print("clients/python/src/gymhost/v1 is stale: run 'python clients/python/generate.py'")
                for p in problems:
                    print("  " + p)
                return 1
            print("clients/python stubs are up to date")
            return 0
        made = generate(tmp)
        for old in committed():
            old.unlink()
        for f in made:
            shutil.copyfile(f, GENERATED_DIR / f.name)
        print(f"wrote {len(made)} files to {GENERATED_DIR.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
