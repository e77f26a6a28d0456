"""Stage 5 (Terraform): StackBuilder -> cdktn synthesis -> file contents in memory.

We use cdktn's core constructs only (``TerraformResource`` with a resource type and
overrides), not the typed provider bindings: the output is the same Terraform JSON,
but a build takes a fraction of a second and ~100 MB instead of 15 s and 1.6 GB
(FACTS.md). Returns ``{relative path: bytes}``; only the CLI writes files.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from compiler.ir import Architecture
from compiler.terraform.context import StackBuilder

AWS_PROVIDER_VERSION = "6.69.1"  # the hashicorp/aws version our schema file describes
JSII_ENV = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}


def synthesize(stack: StackBuilder, model_path: str = "architecture.yaml") -> dict[str, bytes]:
    """Synthesize the stack with cdktn; return the files under ``terraform/``."""
    os.environ.update(JSII_ENV)  # before jsii starts node: silences a banner on stderr
    import cdktn  # imported late: starting the jsii runtime costs ~0.6 s

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
        for res in stack.resources.values():
            cls = classes["data" if res.data else "resource"]
            construct = cls(
                tf_stack,
                ("data_" if res.data else "") + f"{res.type}_{res.name}",
                terraform_resource_type=res.type,
                terraform_generator_metadata=meta,
                provider=providers[res.provider],
            )
            _set_body(construct, res.body)
            construct.override_logical_id(res.name)
        for output in stack.outputs.values():
            cdktn.TerraformOutput(
                tf_stack, f"output_{output.name}", value=output.value, description=output.description, sensitive=output.sensitive or None
            ).override_logical_id(output.name)
        app.synth()
        files = {f"terraform/{p.relative_to(out).as_posix()}": p.read_bytes() for p in sorted(Path(out).rglob("*")) if p.is_file()}
    for rel, content in stack.assets.items():
        files[f"terraform/stacks/{arch.name}/{rel}"] = content
    files["cdktf.json"] = _cdktf_json(arch, model_path)
    return files


_STABLE_KEY = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")
_VERBATIM_KEYS = ("tags", "environment")  # cdktn leaves keys below these as they are
# Meta-arguments cdktn owns: its merge drops them from attributes unless they were set
# through its API, so a body's count/depends_on/lifecycle go through overrides.
_META_KEYS = frozenset({"count", "depends_on", "for_each", "lifecycle"})


def _construct_classes(cdktn: Any) -> dict[str, Any]:
    """cdktn's core constructs, with their attributes taken from a plain dict.

    Overriding ``_synthesize_attributes`` (a jsii callback) instead of calling
    ``add_override`` per attribute keeps the output free of cdktn's override metadata
    and costs one call per resource. cdktn snake-cases the keys it gets this way, so
    an attribute holding keys that would change (map keys such as header names) goes
    through ``add_override``, which cdktn copies verbatim.
    """

    def attributes(self: Any) -> dict[str, Any]:
        return {k: v for k, v in self.body.items() if _stable(v) and k not in _META_KEYS}

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


def _stable(value: Any) -> bool:
    """Whether cdktn's key snake-casing leaves ``value`` unchanged."""
    if isinstance(value, dict):
        return all(_STABLE_KEY.match(k) and (k in _VERBATIM_KEYS or _stable(v)) for k, v in value.items())
    if isinstance(value, list):
        return all(_stable(v) for v in value)
    return True


def _set_body(construct: Any, body: dict[str, Any]) -> None:
    construct.body = body
    for key, value in body.items():
        if key in _META_KEYS or not _stable(value):
            construct.add_override(key, value)


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
