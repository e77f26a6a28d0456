"""Stage 5 (Terraform): StackBuilder -> cdktn synthesis -> file contents in memory.

We use cdktn's core constructs only (``TerraformResource`` with a resource type, the
attributes given as one override of the stack), not the typed provider bindings: the
output is the same Terraform JSON, for a tenth of the time and memory (the baseline row
of bench/results.md). Returns ``{relative path: bytes}``; cdktn writes into a temporary
directory, read back here.
"""

from __future__ import annotations

import json
import shlex
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from compiler.ir import Architecture
from compiler.terraform import runtime
from compiler.terraform.context import Resource, StackBuilder
from compiler.terraform.stacks import StackPart, remote_state, split, state_key

AWS_PROVIDER_VERSION = "6.69.1"  # the hashicorp/aws version our schema file describes


def synthesize(stack: StackBuilder, model: str = "architecture.yaml") -> dict[str, bytes]:
    """Synthesize the stack with cdktn; return the files under ``terraform/``, and
    ``cdktf.json`` (``model``: the model's path relative to the output directory)."""
    cdktn = runtime.load()
    arch = stack.arch
    parts = split(stack)  # one stack, or the model's stacks: (stacks.py), producers first
    with tempfile.TemporaryDirectory(prefix="archc-synth-") as out:
        app = cdktn.App(outdir=out, skip_validation=False)
        made: dict[str, Any] = {}
        for part in parts:
            tf_stack = cdktn.TerraformStack(app, part.name)
            _stack(cdktn, tf_stack, arch, part)
            for producer in sorted(part.reads):
                tf_stack.add_dependency(made[producer])  # cdktn's manifest.json records the order
            made[part.name] = tf_stack
        app.synth()
        files = {f"terraform/{p.relative_to(out).as_posix()}": p.read_bytes() for p in sorted(Path(out).rglob("*")) if p.is_file()}
    runtime.done()
    for part in parts:
        for rel, content in part.assets.items():
            files[f"terraform/stacks/{part.name}/{rel}"] = content
    files["cdktf.json"] = _cdktf_json(arch, model)
    return files


def _stack(cdktn: Any, tf_stack: Any, arch: Architecture, part: StackPart) -> None:
    """One stack's providers, backend, resources, remote state reads and outputs."""
    meta = cdktn.TerraformProviderGeneratorMetadata(provider_name="aws", provider_version=AWS_PROVIDER_VERSION)
    tags = dict(arch.tags) | {"archc:architecture": arch.name} | ({"archc:stack": part.name} if arch.stacks else {})
    provider_body = {"region": arch.region, "default_tags": [{"tags": tags}]}
    providers = {}
    for alias in ["", *sorted({r.provider for r in part.resources.values() if r.provider})]:
        provider = _provider_class(cdktn, alias)(
            tf_stack,
            f"aws_{alias}" if alias else "aws",
            terraform_resource_type="aws",
            terraform_provider_source="hashicorp/aws",
            terraform_generator_metadata=meta,
        )
        provider.body = provider_body | ({"region": alias.replace("_", "-")} if alias else {})
        providers[alias] = provider
    _backend(tf_stack, arch, cdktn, part.name)
    reserved = {"aws", "backend", *(f"aws_{a}" for a in providers if a)}  # construct ids cdktn's own constructs took
    ids = _construct_ids(part.resources, reserved)
    for key, res in part.resources.items():
        construct_id, logical_id = ids[key]
        construct = (cdktn.TerraformDataSource if res.data else cdktn.TerraformResource)(
            tf_stack,
            construct_id,
            terraform_resource_type=res.type,
            terraform_generator_metadata=meta,
            provider=providers[""],  # an aliased provider is named in the body (see _bodies)
        )
        if logical_id:
            construct.override_logical_id(logical_id)
    blocks = _bodies(part.resources)
    for producer in sorted(part.reads):  # terraform_remote_state is Terraform's own: no provider
        blocks.setdefault("data", {}).setdefault("terraform_remote_state", {})[producer] = remote_state(arch, producer)
    for block, bodies in blocks.items():
        tf_stack.add_override(block, bodies)
    taken = reserved | {construct_id for construct_id, _ in ids.values()}
    for output in part.outputs.values():
        free = output.name not in taken  # then its construct id is its Terraform name, as for resources
        construct = cdktn.TerraformOutput(
            tf_stack,
            output.name if free else f"output.{output.name}",
            value=output.value,
            description=output.description,
            sensitive=output.sensitive or None,
        )
        if not free:
            construct.override_logical_id(output.name)


def _construct_ids(resources: dict[str, Resource], reserved: set[str]) -> dict[str, tuple[str, str | None]]:
    """Each resource's construct id, and the logical id to override it with (or None).

    A construct directly in the stack gets its construct id as Terraform name, so a
    name only one resource uses needs nothing more; names shared across types (a
    bucket and its policy) get a construct id no plain name can take (it has a dot)
    and an override, one more call into node.
    """
    uses = Counter(r.name for r in resources.values())
    ids: dict[str, tuple[str, str | None]] = {}
    for key, res in resources.items():
        if uses[res.name] == 1 and res.name not in reserved:
            ids[key] = (res.name, None)
        else:
            ids[key] = (res.address, res.name)
    return ids


def _bodies(resources: dict[str, Resource]) -> dict[str, dict[str, dict[str, Any]]]:
    """Every resource's and data source's attributes, as the stack's ``resource`` and
    ``data`` blocks: ``{"resource": {type: {name: body}}, "data": {...}}``.

    They reach cdktn as one override of the stack (its escape hatch for raw Terraform
    JSON), which cdktn deep-merges into the blocks its constructs synthesize. The
    constructs still give each resource its provider, logical id and metadata; their
    attributes cost one call into node in all, instead of two callbacks per resource
    (cdktn resolves every element twice per synthesis). Meta-arguments (count,
    depends_on, lifecycle) pass as they are: the override is plain Terraform JSON.
    """
    blocks: dict[str, dict[str, dict[str, Any]]] = {}
    for res in resources.values():
        if res.body:
            # cdktn would ask the aliased provider construct for its alias (a callback) twice per resource
            body = res.body | {"provider": f"aws.{res.provider}"} if res.provider else res.body
            blocks.setdefault("data" if res.data else "resource", {}).setdefault(res.type, {})[res.name] = body
    return blocks


def _provider_class(cdktn: Any, alias: str | None) -> Any:
    """cdktn's provider construct with its attributes taken from a plain dict (a jsii
    callback; cdktn copies the dict as it is, keys such as tag names keep their case)
    and, for an aliased provider, its ``alias`` fixed (also read through a callback).
    Providers are synthesized as a list, which the stack override would append to
    rather than merge into, so they do not take the resources' route."""
    members: dict[str, Any] = {"body": {}, "_synthesize_attributes": lambda self: dict(self.body)}
    if alias:
        members["alias"] = property(lambda self: alias)
    return type(f"ArchcProvider_{alias or 'default'}", (cdktn.TerraformProvider,), members)


def _backend(tf_stack: object, arch: Architecture, cdktn: object, name: str) -> None:
    b = arch.backend
    if b.type == "s3":
        kwargs: dict[str, object] = {
            "bucket": b.bucket,
            "key": state_key(arch, b, name),
            "region": b.region,
            "encrypt": True,
        }
        if b.lock_table:
            kwargs["dynamodb_table"] = b.lock_table
        else:
            kwargs["use_lockfile"] = True
        cdktn.S3Backend(tf_stack, **kwargs)  # type: ignore[attr-defined]
    else:
        # A relative path keeps the generated file identical on every machine.
        cdktn.LocalBackend(tf_stack, path="terraform.tfstate")  # type: ignore[attr-defined]


def _cdktf_json(arch: Architecture, model: str) -> bytes:
    """The project file cdktn/cdktf tools (and Atlantis, infracost) look for. Its
    ``app`` runs from the directory holding it and rebuilds that directory."""
    project = {
        "language": "python",
        "app": f"archc build {shlex.quote(model)} --out .",
        "output": "terraform",
        "projectId": f"archc-{arch.name}",
        "terraformProviders": [f"hashicorp/aws@{AWS_PROVIDER_VERSION}"],
        "sendCrashReports": "false",
    }
    return (json.dumps(project, indent=2, sort_keys=True) + "\n").encode()
