"""What a model says about usage (``usage:`` on services and connections), the
documented defaults when it says nothing, and how requests flow along connections."""

from __future__ import annotations

from compiler.ir import Architecture

# The keys a `usage:` entry may set, what each means, and the default assumed when a
# service's resources need it and the model is silent (a small system: a few
# thousand visitors a day).
USAGE_KEYS: dict[str, tuple[str, float]] = {
    "requests": ("requests (or invocations, messages) per month", 1_000_000),
    "duration_ms": ("average run time of one invocation, in milliseconds (Lambda)", 200),
    "storage_gb": ("GB stored, averaged over the month", 5),
    "transfer_gb": ("GB sent out to the internet per month", 10),
    "processed_gb": ("GB through NAT gateways or interface endpoints per month", 10),
    "log_gb": ("GB of logs written per month", 1),
    "users": ("monthly active users (Cognito)", 1_000),
    "scanned_tb": ("TB scanned by queries per month (Athena)", 0.1),
    "build_minutes": ("build or pipeline minutes per month", 100),
    "lcu": ("load balancer capacity units, averaged over the month", 1),
}
# Connections along which a caller's requests become the target's (an API's requests
# invoke its functions, a queue's messages its consumers...).
REQUESTS_FLOW = frozenset({"api-target", "lb-target", "consumer", "subscriber", "notify", "origin", "api"})


def requests_by_service(arch: Architecture) -> dict[str, tuple[float, bool]]:
    """Requests per month of every service and whether they are assumed: the model's
    own figure, else the sum of what flows in along connections (a connection's own
    ``usage.requests`` wins over its source's), else the default."""
    own = {sid: node.spec.usage["requests"] for sid, node in arch.services.items() if "requests" in node.spec.usage}
    result: dict[str, tuple[float, bool]] = {sid: (v, False) for sid, v in own.items()}
    incoming: dict[str, list[tuple[str, float | None]]] = {}
    for edge in arch.edges:
        if edge.via in REQUESTS_FLOW:
            incoming.setdefault(edge.target, []).append((edge.source, dict(edge.usage).get("requests")))

    def resolve(sid: str, seen: frozenset[str]) -> tuple[float, bool]:
        if sid in result:
            return result[sid]
        sources = [(src, fixed) for src, fixed in incoming.get(sid, []) if src not in seen]
        if not sources:
            value = (USAGE_KEYS["requests"][1], True)
        else:
            total, assumed = 0.0, False
            for src, fixed in sources:
                if fixed is not None:
                    total += fixed
                    continue
                flowed, was_assumed = resolve(src, seen | {sid})
                total, assumed = total + flowed, assumed or was_assumed
            value = (total, assumed)
        result[sid] = value
        return value

    for sid in arch.services:
        resolve(sid, frozenset({sid}))
    return result
