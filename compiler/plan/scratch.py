"""The scratch copy of a stack that Terraform runs in.

Terraform writes `.terraform/`, lock files and state next to the configuration,
and the user's directory must stay untouched, so every stack is copied first
(without the user's `.terraform`, lock file and state: a fresh init). The copy is
adjusted without moving a line of cdk.tf.json, so Terraform's line numbers stay
valid for the original:

* backend: an override file points state at the scratch dir, so the plan is
  a fresh one (everything to add) and no lock file is written next to the
  user's state (cdktn writes an absolute local path there), nor the user's
  remote state read;
* provider version (real provider only): where the hashicorp/aws found on disk
  is not the pinned one, the same override file replaces the requirement;
* data sources (stand-in only): a stand-in cannot return real data, and Terraform refuses a
  data source result holding unknown values. Every data block gets a
  `depends_on` to a `terraform_data` resource added for the purpose; as that
  resource is pending creation, Terraform defers the reads to apply time and
  plans their attributes as "(known after apply)". `depends_on` cannot be set
  from an override file, so it is spliced into the JSON on the line where the
  block opens.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from compiler.plan import jsonpos

STACK_FILE = "cdk.tf.json"
DEFER_ADDRESS = "terraform_data.archc_plan_defer_data_reads"
_OVERRIDE_FILE = "archc_plan_override.tf.json"
_DEFER_FILE = "archc_plan_defer.tf.json"
# Never copied: Terraform's working data, a lock file (its hashes would not match
# the stand-in, nor a provider of another version found on disk) and state.
_SKIPPED = (".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.backup")
_HCL_BLOCK = re.compile(r'^\s*(?:resource|data)\s+"([A-Za-z0-9_-]+)"', re.MULTILINE)


def copy_stack(src: Path, dst: Path) -> None:
    """Copy a stack directory into `dst` (which must not exist yet)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*_SKIPPED), symlinks=True)


def write_override(stack_dir: Path, *, aws_version: str | None = None) -> None:
    """State in the scratch dir; with `aws_version`, hashicorp/aws required at that version."""
    terraform: dict[str, object] = {"backend": {"local": {"path": "archc-plan.tfstate"}}}
    requirement = aws_requirement(stack_dir)
    if aws_version is not None and requirement is not None:
        terraform["required_providers"] = {requirement[0]: {"source": "hashicorp/aws", "version": aws_version}}
    (stack_dir / _OVERRIDE_FILE).write_text(json.dumps({"terraform": terraform}, indent=2) + "\n")


def aws_requirement(stack_dir: Path) -> tuple[str, str | None] | None:
    """(local name, version constraint) of hashicorp/aws in the stack's cdk.tf.json."""
    try:
        doc = json.loads((stack_dir / STACK_FILE).read_text(encoding="utf-8"))
        providers = doc["terraform"]["required_providers"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return None
    for name, req in providers.items() if isinstance(providers, dict) else ():
        if isinstance(req, dict) and str(req.get("source", "")).lower() in ("hashicorp/aws", "registry.terraform.io/hashicorp/aws"):
            version = req.get("version")
            return name, version if isinstance(version, str) else None
    return None


def init_key(stack_dir: Path) -> str | None:
    """What `init` installs for a stack, as text: stacks with the same key can share one
    init. None (an init of its own) when the stack has modules or other config files."""
    files = [p.name for p in stack_dir.iterdir() if p.name.endswith((".tf", ".tf.json"))]
    try:
        doc = json.loads((stack_dir / STACK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if files != [STACK_FILE] or not isinstance(doc, dict) or "module" in doc:
        return None
    terraform = doc.get("terraform")
    providers = terraform.get("required_providers") if isinstance(terraform, dict) else None
    return json.dumps(providers, sort_keys=True)


def adapt_for_standin(stack_dir: Path) -> bool:
    """Adjust a scratch copy for the stand-in; True if the defer resource was added."""
    write_override(stack_dir)
    stack_file = stack_dir / STACK_FILE
    text = stack_file.read_text(encoding="utf-8")
    try:
        new_text = defer_data_reads(text)
    except ValueError:
        return False  # not JSON: Terraform reports the syntax error itself
    if new_text == text:
        return False
    stack_file.write_text(new_text, encoding="utf-8")
    (stack_dir / _DEFER_FILE).write_text(json.dumps({"resource": {"terraform_data": {DEFER_ADDRESS.split(".")[1]: {}}}}, indent=2) + "\n")
    return True


def used_types(stack_dir: Path) -> set[str]:
    """Resource and data source types a stack's configuration files declare."""
    found: set[str] = set()
    for path in sorted(stack_dir.rglob("*.tf*")):
        if ".terraform" in path.parts:
            continue
        if path.name.endswith(".tf.json"):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            for kind in ("resource", "data"):
                blocks = doc.get(kind) if isinstance(doc, dict) else None
                found.update(blocks if isinstance(blocks, dict) else ())
        elif path.name.endswith(".tf"):
            found.update(_HCL_BLOCK.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def defer_data_reads(text: str) -> str:
    """Add `depends_on = [DEFER_ADDRESS]` to every data block, lines unchanged."""
    all_spans = jsonpos.spans(text)
    ref = json.dumps(DEFER_ADDRESS)
    inserts: list[tuple[int, str]] = []
    for sp in all_spans:
        if sp.member or len(sp.path) != 3 or sp.path[0] != "data" or text[sp.start] != "{":
            continue
        if sp.path[1] == "terraform_remote_state":  # read now, from its mocks (mocks.py): no provider involved
            continue
        deps = jsonpos.find(all_spans, (*sp.path, "depends_on"))
        if deps is None:
            member = f'"depends_on": [{ref}]'
            inserts.append((sp.start + 1, f"{member}, " if _inner(text, sp) else member))
        elif text[deps.start] == "[":
            inserts.append((deps.start + 1, f"{ref}, " if _inner(text, deps) else ref))
    for pos, snippet in sorted(inserts, reverse=True):
        text = text[:pos] + snippet + text[pos:]
    return text


def _inner(text: str, sp: jsonpos.Span) -> bool:
    """True if the object or array at `sp` is not empty."""
    return text[sp.start + 1 : sp.end - 1].strip() != ""
