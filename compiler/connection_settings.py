"""A connection's own settings (``port``, ``protocol``, ``path``) against what it compiles into.

A setting the connection's wiring does not honour would be drawn and documented
("TCP 5432, /db") while the Terraform does something else, or nothing: each is refused
at its line. Which wirings honour which setting is catalog data (``REACHES_PORT``,
``ROUTED_BY_PATH`` in :mod:`modules.base`); the port and protocol are the target's own
(:meth:`Service.inbound_port`, ``KindInfo.protocol``).
"""

from __future__ import annotations

from compiler.model import ConnectionSpec
from modules import catalog
from modules.base import REACHES_PORT, ROUTED_BY_PATH, Capability, Service, is_file_system

# What a connection of each wiring is, for "... is <this>" in messages.
_WHAT: dict[str, str] = {
    "network": "a network connection",
    "origin": "a CloudFront origin",
    "alias": "a DNS alias",
    "lb-target": "a load balancer target",
    "subscriber": "a topic subscription",
    "consumer": "an event source mapping (the target polls the source)",
    "notify": "an event notification",
    "api-target": "an API route",
    "deploy-target": "a deployment target",
    "monitor": "a monitoring connection",
    "pipeline-stage": "a pipeline stage",
    "web-endpoint": "a front end calling an API (its URL in the build environment, CORS on the API)",
    "event-target": "an EventBridge rule target",
    "none": "drawn only (nothing is compiled for it)",
}


def described(via: Capability, dst: Service) -> str:
    """What a connection wired ``via`` to ``dst`` is, in words."""
    if via == "api":
        return f"an API connection ({dst.kind} is reached through its API, with IAM permissions)"
    if via in REACHES_PORT and dst.inbound_port() is None:
        return f"{_WHAT[via]} ({dst.kind} is invoked, not reached on a port)"
    return _WHAT[via]


def setting_problems(conn: ConnectionSpec, via: Capability, dst: Service) -> list[tuple[str, str]]:
    """(field, message) for each of the connection's settings its wiring would not honour."""
    arrow = f"{conn.source} -> {conn.to}"
    port = dst.inbound_port() if via in REACHES_PORT else None
    problems: list[tuple[str, str]] = []
    for field in ("port", "protocol"):
        if getattr(conn, field) is not None and port is None:
            problems.append((field, f"'{field}' applies to connections that reach a network port; {arrow} is {described(via, dst)}"))
    if port is not None and conn.port is not None and conn.port != port:
        if "port" in type(dst).model_fields:  # the kind lets the model choose it: there, not here
            fix = f"drop 'port' here, or set {conn.to}'s own 'port: {conn.port}'"
            problems.append(("port", f"'{conn.to}' ({dst.kind}) listens on port {port} (its 'port' setting); {fix}"))
        else:
            problems.append(("port", f"'{conn.to}' ({dst.kind}) listens on port {port}, not {conn.port}; drop 'port' here"))
    wanted = dst.info.protocol
    if port is not None and conn.protocol is not None and conn.protocol != wanted:
        problems.append(
            ("protocol", f"'{conn.to}' ({dst.kind}) listens on {wanted.upper()} {port}, not {conn.protocol.upper()}; drop 'protocol' here")
        )
    mounted = via in REACHES_PORT and is_file_system(dst)  # the path is where it is mounted
    if conn.path is not None and via not in ROUTED_BY_PATH and not mounted:
        routers = sorted(kind for kind, cls in catalog().items() if cls.info.needs in ROUTED_BY_PATH)
        problems.append(
            (
                "path",
                f"'path' applies to connections from {', '.join(routers[:-1])} or {routers[-1]}, which route by it; "
                f"{arrow} is {described(via, dst)}",
            )
        )
    return problems
