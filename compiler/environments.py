"""Environments: one model, several deployments (dev, staging, prod).

A model's ``environments:`` names each environment and its *overlay*: a deep merge on
the base model (everything but ``environments:``). Mappings merge key by key; any
other value (text, number, list) replaces the base's; ``null`` removes the key (back
to archc's default). ``layers:`` is a list in the base, so an overlay names layers by
name: ``layers: {data: {services: {db: {multi_az: true}}}}``; it adds no layer or
service (a layer or service the base lacks is an error, with "did you mean").

The merged model is a :class:`Document` like any other, validated and resolved like
the base. Every value the overlay sets keeps the overlay's own position, so a
mistake in an overlay is reported at the overlay's line, and ``archc explain --env``
says which line set a value (``overlay_paths``).

Each environment deploys under its own name, ``<name>-<env>`` (unless the overlay sets
``name:``), so that environments sharing an AWS account do not collide on the names
of their buckets, roles and log groups; every resource is tagged
``environment: <env>`` unless the model sets that tag itself.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from compiler.errors import ArchcError, Diagnostic, did_you_mean
from compiler.ir import EnvironmentRow
from compiler.loader import Document, Path_, Pos

if TYPE_CHECKING:
    from compiler.model import ArchitectureSpec

KEY = "environments"
ENV_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_ENV_NAME = 12  # the architecture's name (at most 40 with it) carries it


@dataclass(frozen=True)
class Environment:
    """One environment's model: the merged document and the paths its overlay set."""

    name: str | None  # None: the base model (a model without environments)
    doc: Document
    base: Document  # the base model, for what the overlay changed
    overlay_paths: frozenset[Path_]  # paths (in the merged document) whose value the overlay wrote
    derived: frozenset[Path_] = frozenset()  # values archc sets for the environment: its name, its tag
    source: Document | None = None  # the whole model, every environment in it


def names(doc: Document) -> list[str]:
    """The model's environment names, in the order written (none: a model without them)."""
    envs = doc.data.get(KEY) if isinstance(doc.data, dict) else None
    return [str(k) for k in envs] if isinstance(envs, dict) else []


def base(doc: Document) -> Document:
    """The base model: the document less its ``environments:``."""
    if not isinstance(doc.data, dict) or KEY not in doc.data:
        return doc
    data = {k: v for k, v in doc.data.items() if k != KEY}
    return Document(doc.file, data, {p: v for p, v in doc.positions.items() if p[:1] != (KEY,)})


def select(doc: Document, env: str | None) -> Environment:
    """The model of environment ``env`` (None: the base), or ArchcError at the line at fault."""
    if env is None:
        return Environment(None, base(doc), base(doc), frozenset())
    if not isinstance(doc.data, dict):  # validation says what is wrong with it
        return Environment(env, doc, doc, frozenset())
    envs = doc.data.get(KEY)
    if not isinstance(envs, dict) or not envs:
        why = "the model defines no environments (add an 'environments:' section, or drop --env)"
        raise ArchcError([doc.error("unknown-key", f"no environment '{env}': {why}", ())])
    if env not in envs:
        defined = ", ".join(envs)
        message = f"no environment '{env}' (defined: {defined}){did_you_mean(env, envs)}"
        raise ArchcError([doc.error("unknown-key", message, (KEY,), key=True)])
    problems = _check_names(doc, envs)
    merger = _Merger(doc, env)
    merged = merger.merge()
    if problems or merger.diags:
        raise ArchcError([*problems, *merger.diags])
    return Environment(env, merged, merger.base, frozenset(merger.set_paths), frozenset(merger.derived), doc)


def _check_names(doc: Document, envs: dict[str, Any]) -> list[Diagnostic]:
    problems = []
    for name in envs:
        if not ENV_NAME.match(name) or len(name) > MAX_ENV_NAME:
            problems.append(
                doc.error(
                    "name",
                    f"environment name '{name}' must be lowercase letters, digits and single dashes, start with a letter, "
                    f"at most {MAX_ENV_NAME} characters (it becomes part of the architecture's name)",
                    (KEY, name),
                    key=True,
                )
            )
    return problems


class _Merger:
    """Merges one environment's overlay onto the base, positions and all."""

    def __init__(self, doc: Document, env: str) -> None:
        self.doc = doc
        self.env = env
        self.base = base(doc)
        self.positions: dict[Path_, Pos] = dict(self.base.positions)
        self.set_paths: set[Path_] = set()
        self.derived: set[Path_] = set()
        self.diags: list[Diagnostic] = []

    def err(self, message: str, path: Path_, code: Any = "unknown-key") -> None:
        self.diags.append(self.doc.error(code, message, path, key=True))

    def merge(self) -> Document:
        overlay = self.doc.data[KEY][self.env]
        src: Path_ = (KEY, self.env)
        data = dict(self.base.data)
        if overlay is not None and not isinstance(overlay, dict):
            self.err(f"environment '{self.env}' must be a mapping of the settings it changes (or empty)", src, "structure")
            overlay = None
        for key, value in (overlay or {}).items():
            if key == KEY:
                self.err(f"environment '{self.env}' cannot define environments of its own", (*src, key), "structure")
            elif key == "layers" and isinstance(value, dict) and isinstance(data.get("layers"), list):
                data["layers"] = self.layers(data["layers"], value, (*src, key))
            elif key == "layers":
                self.err(
                    "an environment's 'layers' is a mapping by layer name, e.g. {data: {services: {db: {...}}}}", (*src, key), "structure"
                )
            else:
                self.put(data, key, value, (*src, key), (key,))
        name = data.get("name")
        if isinstance(name, str) and "name" not in (overlay or {}):
            data["name"] = f"{name}-{self.env}"  # each environment's resources get names of their own
            self.derived.add(("name",))
        tags = data.get("tags")
        if tags is None or (isinstance(tags, dict) and "environment" not in tags):
            data["tags"] = {**(tags or {}), "environment": self.env}
            self.derived.add(("tags", "environment"))
        return Document(self.doc.file, data, self.positions)

    def layers(self, layers: list[Any], overlay: dict[str, Any], src: Path_) -> list[Any]:
        index = {layer.get("name"): i for i, layer in enumerate(layers) if isinstance(layer, dict)}
        merged = list(layers)
        for lname, lover in overlay.items():
            if lname not in index:
                hint = did_you_mean(lname, map(str, index))
                self.err(f"environment '{self.env}': the base model has no layer '{lname}'{hint}", (*src, lname))
                continue
            li = index[lname]
            if lover is None:
                continue
            if not isinstance(lover, dict):
                self.err(f"layer '{lname}' of an environment is a mapping of the settings it changes", (*src, lname), "structure")
                continue
            layer = dict(merged[li])
            for key, value in lover.items():
                if key == "name":
                    self.err("an environment cannot rename a layer", (*src, lname, key), "structure")
                elif key == "services":
                    layer["services"] = self.services(layers, lname, layer.get("services"), value, (*src, lname, key), ("layers", li, key))
                else:
                    self.put(layer, key, value, (*src, lname, key), ("layers", li, key))
            merged[li] = layer
        return merged

    def services(self, layers: list[Any], lname: str, services: Any, overlay: Any, src: Path_, dst: Path_) -> Any:
        if not isinstance(overlay, dict) or not isinstance(services, dict):
            self.err(f"layer '{lname}': an environment's 'services' is a mapping by service name", src, "structure")
            return services
        merged = dict(services)
        for sid, sover in overlay.items():
            if sid not in services:
                elsewhere = [
                    str(layer.get("name"))
                    for layer in layers
                    if isinstance(layer, dict) and isinstance(layer.get("services"), dict) and sid in layer["services"]
                ]
                hint = f"; it is in layer '{elsewhere[0]}'" if elsewhere else did_you_mean(sid, services)
                self.err(f"environment '{self.env}': layer '{lname}' of the base model has no service '{sid}'{hint}", (*src, sid))
                continue
            self.put(merged, sid, sover, (*src, sid), (*dst, sid))
        return merged

    def put(self, target: dict[str, Any], key: str, value: Any, src: Path_, dst: Path_) -> None:
        """Merge ``value`` (at overlay path ``src``) into ``target[key]`` (at merged path ``dst``)."""
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            for k, v in value.items():
                self.put(merged, str(k), v, (*src, k), (*dst, k))
            target[key] = merged
            return
        self._forget(dst)
        if value is None:
            target.pop(key, None)
            return
        target[key] = value
        for p, pos in self.doc.positions.items():
            if p[: len(src)] == src:
                self.positions[dst + p[len(src) :]] = pos
                self.set_paths.add(dst + p[len(src) :])

    def _forget(self, dst: Path_) -> None:
        for p in [p for p in self.positions if p[: len(dst)] == dst]:
            del self.positions[p]


def attributed(exc: ArchcError, env: Environment) -> ArchcError:
    """The same errors, those at a line of the environment's overlay prefixed with its name."""
    if env.name is None:
        return exc
    spots = {(p.line, p.col) for path in env.overlay_paths if (p := env.doc.positions.get(path))}
    spots |= {(p.key_line, p.key_col) for path in env.overlay_paths if (p := env.doc.positions.get(path))}
    prefix = f"environment '{env.name}': "
    return ArchcError(
        [
            dataclasses.replace(d, message=prefix + d.message) if (d.line, d.col) in spots and not d.message.startswith(prefix) else d
            for d in exc.diagnostics
        ]
    )


def reason_problems(base_spec: ArchitectureSpec, spec: ArchitectureSpec, env: Environment) -> list[Diagnostic]:
    """A secure default the environment relaxes and the base keeps needs the overlay's own
    reason: a reason written for the base's settings does not cover what only prod opens."""
    problems = []
    base_services = {sid: svc for layer in base_spec.layers for sid, svc in layer.services.items()}
    for li, layer in enumerate(spec.layers):
        for sid, svc in layer.services.items():
            before = base_services.get(sid)
            kept = {(d.setting, d.value) for d in before.relaxations()} if before is not None else set()
            for d in svc.relaxations():
                at: Path_ = ("layers", li, "services", sid)
                if (d.setting, d.value) in kept or not svc.reasons.get(d.setting, "").strip():
                    continue  # the base's own decision, or no reason at all (resolve says so)
                if (*at, "reasons", d.setting) in env.overlay_paths:
                    continue
                problems.append(
                    env.doc.error(
                        "missing",
                        f"{d.setting}: {d.value} relaxes the secure default ({d.default}) in a way the base model "
                        f"does not, so the base's reason does not cover it; say why under this environment's own reasons: "
                        f"{{{d.setting}: ...}}",
                        (*at, d.setting),
                    )
                )
    return problems


def side_by_side(doc: Document) -> tuple[EnvironmentRow, ...]:
    """Every setting some environment's overlay sets, with the base's value (archc's
    default where the base sets none) and each environment's (the docs' index shows
    them side by side). Paths name layers by name; a list an overlay writes is one
    setting (it replaces the base's whole); rows keep the model's order."""
    from compiler.docs.pages import format_value
    from compiler.explain_path import dotted_name, value_at, walk

    envs = names(doc)
    found: dict[str, dict[str, str]] = {}
    order: dict[str, tuple[tuple[int, str], ...]] = {}  # the model's order: layers by position, keys by name
    base_doc = base(doc)
    for env in envs:
        try:
            chosen = select(doc, env)
        except ArchcError:
            continue  # reported where the environment is loaded
        written = chosen.overlay_paths
        lists = {p for p in written if isinstance(value_at(chosen.doc.data, p), list)}
        for path in written:
            if any(len(path) > len(at) and path[: len(at)] == at for at in lists):
                continue  # inside a list the overlay writes whole
            if path in lists or (path in chosen.doc.positions and not _has_child(written, path)):
                dotted = dotted_name(base_doc.data, chosen.doc.data, path)
                found.setdefault(dotted, {})[env] = format_value(value_at(chosen.doc.data, path))
                order[dotted] = tuple((0, f"{k:09d}") if isinstance(k, int) else (1, str(k)) for k in path)
    defaults = _defaults(base_doc)
    rows = []
    for dotted in sorted(found, key=order.__getitem__):
        values = found[dotted]
        at = value_at(base_doc.data, _base_path(base_doc.data, dotted))
        default = walk(defaults, dotted.split(".")) if at is None and defaults is not None else None
        shown = format_value(at) if at is not None else format_value(default[0]) if default is not None else ""
        rows.append(EnvironmentRow(dotted, shown, tuple((e, values.get(e, "")) for e in envs), default=at is None and bool(shown)))
    return tuple(rows)


def _defaults(base_doc: Document) -> Any:
    """The base model with archc's defaults filled in (None if the base does not validate)."""
    from compiler.validate import validate

    try:
        return validate(base_doc).model_dump(by_alias=True, mode="json")
    except ArchcError:
        return None


def _has_child(paths: frozenset[Path_], path: Path_) -> bool:
    return any(len(p) > len(path) and p[: len(path)] == path for p in paths)


def _base_path(data: Any, dotted: str) -> Path_:
    from compiler.explain_path import walk

    found = walk(data, dotted.split("."))
    return found[1] if found else ("__missing__",)
