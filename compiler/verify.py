"""``archc verify DIR``: the outputs still describe one system, and nobody edited them.

Reads ``DIR/archc-manifest.json`` (see :mod:`compiler.manifest`) and reports, one
diagnostic per problem:

- files edited, deleted or added by hand since the build (sha256 of each file);
- Terraform: a service or connection whose resources are gone from the stack, a
  service (of a kind that lives in AWS) that owns no resource, a resource that no
  model element owns;
- diagrams (when the build drew them): a service or connection missing from its home
  view (the overview; above the node budget, its layer's detail view, the overview
  then drawing layers), or from a view that drew it, in the DOT or in the SVG;
- docs (when the build wrote them): a service without its page, a connection without
  its anchor on its source's page;
- the escape hatch: an override whose resources, or an extra resource, are gone from the
  stack, an override without its anchor on its service's page.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from compiler.errors import Diagnostic
from compiler.manifest import FORMAT, MANIFEST, diagram_ids, drawn_views, home_view, svg_ids
from compiler.names import diagram_file, terraform_address
from compiler.outputs import MARKER
from modules import catalog


class _Checker:
    def __init__(self, out: Path, shown: str, manifest: dict[str, Any]) -> None:
        self.out, self.shown, self.m = out, shown, manifest
        self.found: list[Diagnostic] = []

    def fail(self, rel: str, message: str, line: int = 1) -> None:
        self.found.append(Diagnostic("verify", message, f"{self.shown}/{rel}", line, 1))

    def text(self, rel: str) -> str | None:
        path = self.out / rel
        return path.read_text(errors="replace") if path.is_file() else None

    # -- files --------------------------------------------------------------------
    def files(self) -> None:
        listed: dict[str, str] = self.m["files"]
        on_disk = {p.relative_to(self.out).as_posix() for p in self.out.rglob("*") if p.is_file()} - {MANIFEST, MARKER}
        for rel in sorted(set(listed) | on_disk):
            if rel not in on_disk:
                self.fail(rel, "deleted: archc build wrote it, it is gone")
            elif rel not in listed:
                self.fail(rel, "added by hand: archc build did not write it")
            elif hashlib.sha256((self.out / rel).read_bytes()).hexdigest() != listed[rel]:
                self.fail(rel, "edited by hand: its content differs from what archc build wrote")

    # -- Terraform ------------------------------------------------------------------
    def terraform(self) -> None:
        stacks = sorted(rel for rel in self.m["files"] if rel.startswith("terraform/stacks/") and rel.endswith("/cdk.tf.json"))
        present: dict[str, tuple[str, int]] = {}  # address -> (stack file, line)
        for rel in stacks:
            present.update(_addresses(rel, self.text(rel)))
        owned: dict[str, str] = {a: f"service '{sid}'" for sid, s in self.m["services"].items() for a in s["terraform"]}
        owned.update({a: owner for owner, addresses in self.m["other_owners"].items() for a in addresses})
        # A stack reads the state of the stacks it depends on (stacks:): archc made those reads.
        owned.update({f"data.terraform_remote_state.{r}": "stacks" for st in self.m.get("stacks", []) for r in st["reads"]})
        where = stacks[0] if stacks else "terraform"
        for sid, s in self.m["services"].items():
            if not s["terraform"] and not catalog()[s["kind"]].info.outside_aws:
                self.fail(where, f"service '{sid}' ({s['kind']}) has no Terraform resource")
            for address in s["terraform"]:
                if address not in present:
                    self.fail(where, f"service '{sid}' ({s['kind']}) lost its resource {address}")
        self.connections_in_terraform(present, where)
        self.hatch(present, where)
        for address, (rel, line) in sorted(present.items()):
            if address not in owned:
                self.fail(rel, f"resource {address} has no owner in the model (no service, connection or network made it)", line)

    def connections_in_terraform(self, present: dict[str, tuple[str, int]], where: str) -> None:
        """Each connection's resources, and its parts (what the docs say it compiled into)."""
        for cid, c in self.m["connections"].items():
            for address in c["terraform"]:
                if address not in present:
                    self.fail(where, f"connection {cid} lost its resource {address}")
            for part in c["realization"]:
                if part["address"] not in present and part["address"] not in c["terraform"]:
                    self.fail(where, f"connection {cid} lost its {part['element']} {part['address']}")

    def hatch(self, present: dict[str, tuple[str, int]], where: str) -> None:
        """The escape hatch: what the model's overrides changed and its resources: added is there."""
        for sid, s in self.m["services"].items():
            for ov in s.get("overrides", []):
                for address in ov["terraform"]:
                    if address not in present:
                        self.fail(where, f"service '{sid}' {ov['entry']} lost the resource it changes, {address}")
            for address in s.get("extra_resources", []):
                if address not in present:
                    self.fail(where, f"service '{sid}' lost its extra resource {address} (resources:)")

    # -- diagrams -------------------------------------------------------------------------
    def diagrams(self) -> None:
        views = drawn_views(self.m["files"])
        services = self.m["services"]
        for view in views:
            for ext, parse in (("dot", diagram_ids), ("svg", svg_ids)):
                rel = diagram_file(view, ext)
                if rel not in self.m["files"]:
                    continue
                nodes, edges = parse(self.text(rel) or "")
                for sid, s in services.items():  # in its home view (the overview, or its layer's), and where the build drew it
                    if (view == home_view(s["layer"], views) or view in s["diagram"]["views"]) and s["diagram"]["node"] not in nodes:
                        self.fail(rel, f"service '{sid}' is missing (no node '{s['diagram']['node']}')")
                for cid, c in self.m["connections"].items():
                    home = home_view(services[c["from"]]["layer"], views)
                    if (view == home or view in c["diagram"]["views"]) and c["diagram"]["edge"] not in edges:
                        self.fail(rel, f"connection {cid} is missing (no edge with id '{c['diagram']['edge']}')")

    # -- docs -------------------------------------------------------------------------------
    def docs(self) -> None:
        if not any(rel.startswith("docs/") for rel in self.m["files"]):
            return
        for sid, s in self.m["services"].items():
            if self.text(s["docs"]["page"]) is None:
                self.fail(s["docs"]["page"], f"service '{sid}' has no docs page")
        for cid, c in self.m["connections"].items():
            page = self.text(c["docs"]["page"])
            anchor = c["docs"]["anchor"]
            if page is not None and not _has_anchor(page, anchor):
                self.fail(c["docs"]["page"], f"connection {cid} is missing (no anchor '{anchor}')")
        for sid, s in self.m["services"].items():
            for ov in s.get("overrides", []):
                page = self.text(ov["docs"]["page"])
                if page is not None and not _has_anchor(page, ov["docs"]["anchor"]):
                    self.fail(ov["docs"]["page"], f"service '{sid}' {ov['entry']} is missing (no anchor '{ov['docs']['anchor']}')")


def _has_anchor(page: str, anchor: str) -> bool:
    return any(form in page for form in (f'id="{anchor}"', f"{{#{anchor}}}", f'name="{anchor}"'))


def _addresses(rel: str, text: str | None) -> dict[str, tuple[str, int]]:
    """Terraform addresses in a synthesized stack, each with the line that declares it."""
    if text is None:
        return {}
    try:
        stack = json.loads(text)
    except json.JSONDecodeError:
        return {}
    found: dict[str, tuple[str, int]] = {}
    lines = text.splitlines()
    for block in ("resource", "data"):
        for rtype, named in (stack.get(block) or {}).items():
            for name in named:
                needle = f'"{name}": {{'
                line = next((i for i, t in enumerate(lines, start=1) if t.strip().startswith(needle)), 1)
                found[terraform_address(rtype, name, data=block == "data")] = (rel, line)
    return found


def environment_dirs(out: Path) -> list[Path]:
    """The directories of a build of every environment (``DIR/<env>/``, each with its
    manifest; ``DIR`` has none): each is verified as a build of its own."""
    if (out / MANIFEST).exists() or not out.is_dir():
        return []
    return sorted(p for p in out.iterdir() if (p / MANIFEST).is_file())


def verify(out: Path, shown: str) -> tuple[list[Diagnostic], dict[str, Any] | None]:
    """Every problem of an output directory, and its manifest (None when unreadable)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text())
    except FileNotFoundError:
        message = "missing: this directory was not written by archc build, or its manifest was deleted"
        return [Diagnostic("verify", message, f"{shown}/{MANIFEST}")], None
    except (ValueError, OSError) as exc:
        return [Diagnostic("verify", f"unreadable ({exc}); rebuild with archc build", f"{shown}/{MANIFEST}")], None
    if not isinstance(manifest, dict) or manifest.get("archc_manifest") != FORMAT:
        return [Diagnostic("verify", f"not an archc manifest of format {FORMAT}; rebuild with archc build", f"{shown}/{MANIFEST}")], None
    checker = _Checker(out, shown, manifest)
    try:
        checker.files()
        checker.terraform()
        checker.diagrams()
        checker.docs()
    except (KeyError, TypeError, AttributeError) as exc:  # a manifest edited into another shape
        checker.fail(MANIFEST, f"malformed ({type(exc).__name__}: {exc}); rebuild with archc build")
    return checker.found, manifest
