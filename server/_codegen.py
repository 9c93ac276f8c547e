"""Regenerate the checked-in gRPC stubs from ``proto/scenefill/v1/scenefill.proto``.

    python -m scenefill.server._codegen            # rewrite server/scenefill_pb2*.py(i)
    python -m scenefill.server._codegen --check    # exit 1 if the checked-in files are stale

protoc writes modules for the proto package path (``scenefill/v1/...``) whose
imports say ``from scenefill.v1 import scenefill_pb2``. That package does not
exist here: the stubs live in ``scenefill.server``. :func:`fix_imports` rewrites
those imports to relative ones (and the module name the messages report), and
refuses to write anything if an import it does not understand is left over.
Needs grpcio-tools (in the ``test`` extra).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

SERVER_DIR = Path(__file__).resolve().parent
REPO_ROOT = SERVER_DIR.parent
PROTO_ROOT = REPO_ROOT / "proto"
PROTO_REL = "scenefill/v1/scenefill.proto"
PROTO_PKG = "scenefill.v1"
GENERATED = ("scenefill_pb2.py", "scenefill_pb2_grpc.py", "scenefill_pb2.pyi")

_FROM_IMPORT = re.compile(r"^from scenefill\.v1 import (\w+) as (\w+)[ \t]*$", re.M)
_BUILD_NAME = re.compile(r"(BuildTopDescriptorsAndMessages\(DESCRIPTOR, )'scenefill\.v1\.(\w+)'")
_LEFTOVER = re.compile(r"^\s*(from|import)\s+scenefill\.v1\b", re.M)


def fix_imports(text: str) -> str:
    """Make generated code importable as ``scenefill.server.<module>``."""
    text = _FROM_IMPORT.sub(r"from . import \1 as \2", text)
    text = _BUILD_NAME.sub(r"\1__name__", text)
    if _LEFTOVER.search(text):
        raise RuntimeError("generated code still imports scenefill.v1; update server/_codegen.py")
    return text


def generate(out_dir: Path, proto_root: Path = PROTO_ROOT) -> list[Path]:
    """Run protoc (grpcio-tools) and write the fixed-up stubs into ``out_dir``."""
    from grpc_tools import protoc
    import grpc_tools

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = Path(grpc_tools.__file__).resolve().parent / "_proto"
    with tempfile.TemporaryDirectory(prefix="scenefill-protoc-") as tmp:
        args = [
            "grpc_tools.protoc",
            f"-I{proto_root}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--grpc_python_out={tmp}",
            f"--pyi_out={tmp}",
            str(proto_root / PROTO_REL),
        ]
        rc = protoc.main(args)
        if rc != 0:
            raise RuntimeError(f"protoc failed with exit code {rc}")
        src = Path(tmp) / Path(PROTO_REL).parent
        written = []
        for name in GENERATED:
            text = (src / name).read_text(encoding="utf-8")
            target = out_dir / name
            target.write_text(fix_imports(text), encoding="utf-8")
            written.append(target)
    return written


def stale_files(checked_in: Path = SERVER_DIR) -> list[str]:
    """Names of checked-in stub files that differ from a fresh generation."""
    with tempfile.TemporaryDirectory(prefix="scenefill-stubs-") as tmp:
        generate(Path(tmp))
        return [
            name for name in GENERATED
            if not (checked_in / name).exists()
            or (checked_in / name).read_bytes() != (Path(tmp) / name).read_bytes()
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenefill.server._codegen", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"stale: server/{name}", file=sys.stderr)
        return 1 if stale else 0
    for path in generate(SERVER_DIR):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
