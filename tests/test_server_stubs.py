"""The checked-in gRPC stubs are what grpcio-tools makes of proto/ today, and import from our package."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from scenefill.server import _codegen

_VERSION_LINE = re.compile(r"GRPC_GENERATED_VERSION = '([^']+)'")
_DESCRIPTOR = re.compile(r"AddSerializedFile\((b'.*?')\)\n", re.S)


def test_checked_in_stubs_are_current(tmp_path):
    pytest.importorskip("grpc_tools")
    _codegen.generate(tmp_path)
    checked_in = Path(_codegen.SERVER_DIR)
    fix = "run `python -m scenefill.server._codegen` and commit server/scenefill_pb2*"
    made_with = _VERSION_LINE.search((checked_in / "scenefill_pb2_grpc.py").read_text()).group(1)
    if made_with == version("grpcio-tools"):
        for name in _codegen.GENERATED:
            assert (checked_in / name).read_text() == (tmp_path / name).read_text(), f"{name} is stale: {fix}"
    else:  # another grpcio-tools: its headers differ, but the schema and the service must not
        old = _DESCRIPTOR.search((checked_in / "scenefill_pb2.py").read_text()).group(1)
        new = _DESCRIPTOR.search((tmp_path / "scenefill_pb2.py").read_text()).group(1)
        assert old == new, f"scenefill_pb2.py is stale: {fix}"
        methods = re.compile(r"'/scenefill\.v1\.SceneFill/(\w+)'")
        assert set(methods.findall((checked_in / "scenefill_pb2_grpc.py").read_text())) == \
            set(methods.findall((tmp_path / "scenefill_pb2_grpc.py").read_text())), f"service is stale: {fix}"


def test_generated_code_imports_from_our_package():
    from scenefill.server import scenefill_pb2, scenefill_pb2_grpc

    text = Path(scenefill_pb2_grpc.__file__).read_text()
    assert "from . import scenefill_pb2" in text and "scenefill.v1 import" not in text
    assert scenefill_pb2.RenderRequest.__module__ == "scenefill.server.scenefill_pb2"
    assert scenefill_pb2.DESCRIPTOR.package == "scenefill.v1"
    assert scenefill_pb2.DESCRIPTOR.name == "scenefill/v1/scenefill.proto"
    assert set(scenefill_pb2.DESCRIPTOR.services_by_name["SceneFill"].methods_by_name) == {
        "Render", "RenderBatch", "Parse", "ListCapabilities", "GetInfo"}


def test_import_fix_up_refuses_what_it_does_not_understand():
    assert _codegen.fix_imports("from scenefill.v1 import scenefill_pb2 as x\n") == "from . import scenefill_pb2 as x\n"
    with pytest.raises(RuntimeError):
        _codegen.fix_imports("import scenefill.v1.other_pb2\n")
