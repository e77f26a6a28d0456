"""A stand-in for terraform-provider-aws: real schema, no AWS calls.

Run as `python -m compiler.plan.standin_provider --schema FILE --socket PATH`.
FILE holds a serialized GetProviderSchema.Response (see schema_convert.py). The
process serves tfplugin6 over an insecure unix socket and prints the go-plugin
handshake line; the engine hands that address to Terraform through
TF_REATTACH_PROVIDERS ("Test": true, so Terraform never kills it). One process
serves every Terraform command of a `plan_stacks` call, so the schema is parsed
once. It exits when its parent process goes away, or on SIGTERM.

What it answers: the schema (so Terraform core checks names, types, required
arguments, block counts, references), empty validation results, and plans in
which every unset computed attribute is unknown. It never reads real
infrastructure and ignores the provider configuration (region, credentials).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import msgpack  # type: ignore[import-untyped,unused-ignore]
from tf.gen import grpc_controller_pb2 as ctl_pb
from tf.gen import grpc_controller_pb2_grpc as ctl_rpc
from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
from tf.gen import tfplugin_pb2 as pb

# cty's msgpack encoding of an unknown value: fixext1, type 0.
UNKNOWN = msgpack.ExtType(0, b"\x00")
_SINGLE, _LIST, _SET, _MAP, _GROUP = 1, 2, 3, 4, 5


def _decode(dv: Any) -> Any:
    if dv.msgpack:
        return msgpack.unpackb(dv.msgpack, raw=False, strict_map_key=False)
    if dv.json:
        return json.loads(dv.json)
    return None


def _encode(value: Any) -> Any:
    return pb.DynamicValue(msgpack=msgpack.packb(value, use_bin_type=True))


def _each(nesting: int, value: Any, fn: Any) -> Any:
    """Apply fn to every element of a nested block / nested attribute value."""
    if value is None or isinstance(value, msgpack.ExtType):
        return value  # null or unknown: nothing inside to plan
    if nesting in (_SINGLE, _GROUP):
        return fn(value)
    if nesting in (_LIST, _SET):
        return [fn(v) for v in value]
    if nesting == _MAP:
        return {k: fn(v) for k, v in value.items()}
    return value


def plan_object(attributes: Any, block_types: Any, value: Any) -> Any:
    """Planned value for a new object: unset computed attributes become unknown.

    Everything the configuration set is kept as is (Terraform checks that a
    provider never changes a configured value).
    """
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for attr in attributes:
        current = out.get(attr.name)
        if current is None:
            if attr.computed:
                out[attr.name] = UNKNOWN
        elif attr.HasField("nested_type"):
            nt = attr.nested_type
            out[attr.name] = _each(nt.nesting, current, lambda v, nt=nt: plan_object(nt.attributes, (), v))
    for nb in block_types:
        blk = nb.block
        out[nb.type_name] = _each(
            nb.nesting,
            out.get(nb.type_name),
            lambda v, blk=blk: plan_object(blk.attributes, blk.block_types, v),
        )
    return out


class StandinProvider:
    """tfplugin6 Provider service answering from a fixed schema.

    The schema file is read at the first request, not at start: `archc plan` starts
    this process while the build is still running and writes the file before
    Terraform asks anything.
    """

    def __init__(self, schema_file: Path) -> None:
        self._schema_file = schema_file
        self._lock = threading.Lock()
        self._loaded = False
        self._schema_bytes = b""
        self._resources: dict[str, Any] = {}
        self._data: dict[str, Any] = {}
        self._metadata: Any = None

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            self._schema_bytes = self._schema_file.read_bytes()
            parsed = pb.GetProviderSchema.Response.FromString(self._schema_bytes)
            self._resources = dict(parsed.resource_schemas)
            self._data = dict(parsed.data_source_schemas)
            self._metadata = pb.GetMetadata.Response(
                server_capabilities=pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True),
                resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in self._resources],
                data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in self._data],
            )
            self._loaded = True

    def GetMetadata(self, request: Any, context: Any) -> Any:
        self._load()
        return self._metadata

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        # Served pre-serialized: see _provider_handlers.
        self._load()
        return self._schema_bytes

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        return pb.ConfigureProvider.Response()

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateDataResourceConfig.Response()

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        state = json.loads(request.raw_state.json) if request.raw_state.json else None
        return pb.UpgradeResourceState.Response(upgraded_state=_encode(state))

    def ReadResource(self, request: Any, context: Any) -> Any:
        # Nothing to refresh from: the state is whatever Terraform holds.
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        proposed = _decode(request.proposed_new_state)
        prior = _decode(request.prior_state)
        if proposed is None or prior is not None:
            # Destroy, or update: Terraform's proposal already merges prior values.
            return pb.PlanResourceChange.Response(planned_state=request.proposed_new_state)
        self._load()
        block = self._resources[request.type_name].block
        planned = plan_object(block.attributes, block.block_types, proposed)
        return pb.PlanResourceChange.Response(planned_state=_encode(planned))

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        diag = pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary="The archc stand-in provider cannot apply")
        return pb.ApplyResourceChange.Response(diagnostics=[diag])

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        # Terraform refuses unknown values in a data source result, and the
        # engine makes Terraform defer every read to apply time, so this is only
        # reached by reads it could not defer: answer with computed values null.
        return pb.ReadDataSource.Response(state=request.config)

    def GetFunctions(self, request: Any, context: Any) -> Any:
        return pb.GetFunctions.Response()

    def StopProvider(self, request: Any, context: Any) -> Any:
        return pb.StopProvider.Response()


# RPCs served; the others answer UNIMPLEMENTED, which Terraform tolerates for
# the optional ones (identity schemas, list resources, actions, ...).
_METHODS = (
    "GetMetadata",
    "GetProviderSchema",
    "ValidateProviderConfig",
    "ConfigureProvider",
    "ValidateResourceConfig",
    "ValidateDataResourceConfig",
    "UpgradeResourceState",
    "ReadResource",
    "PlanResourceChange",
    "ApplyResourceChange",
    "ReadDataSource",
    "GetFunctions",
    "StopProvider",
)


class _Controller(ctl_rpc.GRPCControllerServicer):  # type: ignore[misc]
    def Shutdown(self, request: Any, context: Any) -> Any:
        # Shared by many Terraform runs: the engine, not Terraform, ends us.
        return ctl_pb.Empty()


class _Stdio(stdio_rpc.GRPCStdioServicer):  # type: ignore[misc]
    def StreamStdio(self, request: Any, context: Any) -> Iterator[Any]:
        return iter(())


def _provider_handlers(provider: StandinProvider) -> dict[str, Any]:
    handlers = {}
    for name in _METHODS:
        msg = getattr(pb, name)
        handlers[name] = grpc.unary_unary_rpc_method_handler(
            getattr(provider, name),
            request_deserializer=msg.Request.FromString,
            # The schema is served as stored bytes: no re-serialization of MBs.
            response_serializer=(lambda b: b) if name == "GetProviderSchema" else msg.Response.SerializeToString,
        )
    return handlers


def serve(schema_file: Path, socket_path: str) -> None:
    provider = StandinProvider(schema_file)
    # Terraform sends whole resource configurations: lift gRPC's 4 MB cap.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[("grpc.max_receive_message_length", 1 << 30)])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("tfplugin6.Provider", _provider_handlers(provider)),))
    ctl_rpc.add_GRPCControllerServicer_to_server(_Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(_Stdio(), server)
    server.add_insecure_port(f"unix://{socket_path}")
    server.start()
    # go-plugin handshake: core version | protocol version | network | address | protocol
    sys.stdout.write(f"1|6|unix|{socket_path}|grpc|\n")
    sys.stdout.flush()
    parent = os.getppid()
    while server.wait_for_termination(0.25):
        if os.getppid() != parent:
            break
    server.stop(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compiler.plan.standin_provider")
    parser.add_argument("--schema", type=Path, required=True, help="serialized GetProviderSchema.Response")
    parser.add_argument("--socket", required=True, help="unix socket path to listen on")
    args = parser.parse_args(argv)
    serve(args.schema, args.socket)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
