"""Stage 5 (Terraform): StackBuilder -> cdktn synthesis -> file contents in memory.

We use cdktn's core constructs only (``TerraformResource`` with a resource type and
overrides), not the typed provider bindings: the output is the same Terraform JSON,
but a build takes a fraction of a second and ~100 MB instead of 15 s and 1.6 GB
(FACTS.md). Returns ``{relative path: bytes}``; only the CLI writes files.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from compiler.ir import Architecture
from compiler.terraform import runtime
from compiler.terraform.context import StackBuilder

AWS_PROVIDER_VERSION = "6.69.1"  # the hashicorp/aws version our schema file describes
# Meta-arguments cdktn owns: its merge drops them from attributes unless they were set
# through its API, so a body's count/depends_on/lifecycle go through overrides.
_META_KEYS = frozenset({"count", "depends_on", "for_each", "lifecycle"})


def synthesize(stack: StackBuilder, model_path: str = "architecture.yaml") -> dict[str, bytes]:
    """Synthesize the stack with cdktn; return the files under ``terraform/``."""
    cdktn = runtime.load()
    arch = stack.arch
    with tempfile.TemporaryDirectory(prefix="archc-synth-") as out:
        app = cdktn.App(outdir=out, skip_validation=False)
        tf_stack = cdktn.TerraformStack(app, arch.name)
        meta = cdktn.TerraformProviderGeneratorMetadata(provider_name="aws", provider_version=AWS_PROVIDER_VERSION)
        classes = _construct_classes(cdktn)
        provider_body = {"region": arch.region, "default_tags": [{"tags": dict(arch.tags) | {"archc:architecture": arch.name}}]}
        provider = classes["provider"](
            tf_stack, "aws", terraform_resource_type="aws", terraform_provider_source="hashicorp/aws", terraform_generator_metadata=meta
        )
        _set_body(provider, provider_body)
        providers = {"": provider}
        for alias in sorted({r.provider for r in stack.resources.values() if r.provider}):
            extra = _aliased_provider(classes["provider"], alias)(
                tf_stack,
                f"aws_{alias}",
                terraform_resource_type="aws",
                terraform_provider_source="hashicorp/aws",
                terraform_generator_metadata=meta,
            )
            _set_body(extra, provider_body | {"region": alias.replace("_", "-")})
            providers[alias] = extra
        _backend(tf_stack, arch, cdktn)
        ids = _construct_ids(stack, reserved={"aws", "backend", *(f"aws_{a}" for a in providers if a)})
        for key, res in stack.resources.items():
            construct_id, logical_id = ids[key]
            construct = classes["data" if res.data else "resource"](
                tf_stack,
                construct_id,
                terraform_resource_type=res.type,
                terraform_generator_metadata=meta,
                provider=providers[res.provider],
            )
            _set_body(construct, res.body)
            if logical_id:
                construct.override_logical_id(logical_id)
        for output in stack.outputs.values():
            cdktn.TerraformOutput(
                tf_stack, f"output.{output.name}", value=output.value, description=output.description, sensitive=output.sensitive or None
            ).override_logical_id(output.name)
        app.synth()
        files = {f"terraform/{p.relative_to(out).as_posix()}": p.read_bytes() for p in sorted(Path(out).rglob("*")) if p.is_file()}
    runtime.done()
    for rel, content in stack.assets.items():
        files[f"terraform/stacks/{arch.name}/{rel}"] = content
    files["cdktf.json"] = _cdktf_json(arch, model_path)
    return files


def _construct_ids(stack: StackBuilder, reserved: set[str]) -> dict[str, tuple[str, str | None]]:
    """Each resource's construct id, and the logical id to override it with (or None).

    A construct directly in the stack gets its construct id as Terraform name, so a
    name only one resource uses needs nothing more; names shared across types (a
    bucket and its policy) get a construct id no plain name can take (it has a dot)
    and an override, one more call into node.
    """
    uses = Counter(r.name for r in stack.resources.values())
    ids: dict[str, tuple[str, str | None]] = {}
    for key, res in stack.resources.items():
        if uses[res.name] == 1 and res.name not in reserved:
            ids[key] = (res.name, None)
        else:
            ids[key] = (f"{'data.' if res.data else ''}{res.type}.{res.name}", res.name)
    return ids


def _construct_classes(cdktn: Any) -> dict[str, Any]:
    """cdktn's core constructs, with their attributes taken from a plain dict.

    Overriding ``_synthesize_attributes`` (a jsii callback) instead of calling
    ``add_override`` per attribute keeps the output free of cdktn's override metadata
    and costs one call per resource; cdktn copies the dict as it is (keys such as tag
    names and header names keep their case).
    """

    def attributes(self: Any) -> dict[str, Any]:
        return {k: v for k, v in self.body.items() if k not in _META_KEYS}

    return {
        name: type(f"Archc{base.__name__}", (base,), {"body": {}, "_synthesize_attributes": attributes})
        for name, base in (
            ("provider", cdktn.TerraformProvider),
            ("resource", cdktn.TerraformResource),
            ("data", cdktn.TerraformDataSource),
        )
    }


def _aliased_provider(base: Any, alias: str) -> Any:
    """A provider class whose ``alias`` is fixed (cdktn reads it through a jsii callback)."""
    return type(f"ArchcProvider_{alias}", (base,), {"alias": property(lambda self: alias)})


def _set_body(construct: Any, body: dict[str, Any]) -> None:
    construct.body = body
    for key in [k for k in body if k in _META_KEYS]:
        construct.add_override(key, body[key])


def _backend(tf_stack: object, arch: Architecture, cdktn: object) -> None:
    b = arch.backend
    if b.type == "s3":
        kwargs: dict[str, object] = {
            "bucket": b.bucket,
            "key": b.key or f"archc/{arch.name}/terraform.tfstate",
            "region": b.region,
            "encrypt": True,
        }
        if b.lock_table:
            kwargs["dynamodb_table"] = b.lock_table
        else:
            kwargs["use_lockfile"] = True
        cdktn.S3Backend(tf_stack, **kwargs)  # type: ignore[attr-defined]
    else:
        # A relative path keeps the generated file identical on every machine (FACTS.md).
        cdktn.LocalBackend(tf_stack, path="terraform.tfstate")  # type: ignore[attr-defined]


def _cdktf_json(arch: Architecture, model_path: str) -> bytes:
    """The project file cdktn/cdktf tools (and Atlantis, infracost) look for."""
    project = {
        "language": "python",
        "app": f"archc build {model_path}",
        "output": "terraform",
        "projectId": f"archc-{arch.name}",
        "terraformProviders": [f"hashicorp/aws@{AWS_PROVIDER_VERSION}"],
        "sendCrashReports": "false",
    }
    return (json.dumps(project, indent=2, sort_keys=True) + "\n").encode()
