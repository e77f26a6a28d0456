"""Synthetic models of any size, for the benchmark: repeated 'cells' of a typical
web system (load balancer, containers, database, cache, queue, function, bucket)."""

from __future__ import annotations

import yaml

CELL = 10  # services per cell


def model(services: int, monitored: bool = False, stacks: int = 0) -> str:
    """A valid model text with about ``services`` services; ``monitored``: plus a
    CloudWatch connected to every service (one monitoring edge per service);
    ``stacks``: the cells split into that many layers, one Terraform stack each
    (``stacks:``; the users in the first), instead of the four layers of one stack."""
    cells = max(1, services // CELL)
    layers: dict[str, dict[str, object]] = {"edge": {}, "app": {}, "data": {}, "async": {}}
    connections: list[str] = []
    layers["edge"]["users"] = {"kind": "users"}
    for i in range(cells):
        c = f"c{i}"
        # HTTP only (no certificate in a synthetic model): a relaxed default needs its reason.
        layers["edge"][f"{c}-lb"] = {"kind": "alb", "listeners": "http", "reasons": {"listeners": "synthetic benchmark model, no domain"}}
        layers["app"][f"{c}-cluster"] = {"kind": "ecs-cluster"}
        layers["app"][f"{c}-web"] = {
            "kind": "ecs-service",
            "cluster": f"{c}-cluster",
            "port": 8080,
        }
        layers["app"][f"{c}-api"] = {
            "kind": "ecs-service",
            "cluster": f"{c}-cluster",
            "port": 8081,
        }
        layers["app"][f"{c}-worker"] = {"kind": "lambda"}
        layers["data"][f"{c}-db"] = {"kind": "rds"}
        layers["data"][f"{c}-table"] = {"kind": "dynamodb", "hash_key": "id"}
        layers["data"][f"{c}-files"] = {"kind": "s3"}
        layers["async"][f"{c}-jobs"] = {"kind": "sqs"}
        connections += [
            f"users -> {c}-lb",
            f"{c}-lb -> {c}-web",
            f"{c}-api -> {c}-db",
            f"{c}-web -> {c}-files",
            f"{c}-api -> {c}-table",
            f"{c}-api -> {c}-jobs",
            f"{c}-jobs -> {c}-worker",
        ]
        connections.append(f"{c}-web -> {c}-api")
    if monitored:
        watched = [sid for layer in layers.values() for sid in layer if sid != "users"]
        layers["monitoring"] = {"monitoring": {"kind": "cloudwatch", "alarm_emails": ["ops@archc-demo.net"]}}
        connections += [f"monitoring -> {sid}" for sid in watched]
    if stacks:
        layers = _grouped(layers, cells, stacks)
    doc = {
        "name": f"synthetic-{services}" + (f"-{stacks}-stacks" if stacks else ""),
        "region": "us-east-1",
        "network": {"azs": 3, "cidr": "10.0.0.0/16"},
        "layers": [{"name": name, "services": svcs} for name, svcs in layers.items()],
        "connections": connections,
    }
    if stacks:
        doc["stacks"] = {f"s{g}": [f"part-{g}"] + (["edge"] if g == 0 else []) for g in range(stacks)}
    return yaml.safe_dump(doc, sort_keys=False)


def _grouped(layers: dict[str, dict[str, object]], cells: int, groups: int) -> dict[str, dict[str, object]]:
    """The cells' services in ``groups`` layers (cell i in layer part-(i * groups // cells))."""
    out: dict[str, dict[str, object]] = {"edge": {"users": layers["edge"]["users"]}}
    out.update({f"part-{g}": {} for g in range(groups)})
    for layer in layers.values():
        for sid, svc in layer.items():
            if sid != "users":
                cell = int(sid.split("-")[0][1:])
                out[f"part-{cell * groups // cells}"][sid] = svc
    return out
