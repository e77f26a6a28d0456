"""How ECS services find each other (Amazon ECS Service Connect) and mount file systems.

Not a family (it defines no kind). Task IPs change on every deployment, so a security
group rule alone does not let one ECS service call another: the caller must learn a
stable address. For each network connection between two ECS services, archc uses
Service Connect (AWS's recommended way to interconnect ECS services):

- one AWS Cloud Map HTTP namespace per architecture (``aws_service_discovery_http_namespace.archc``,
  named after the architecture): every ECS service joins it;
- the callee is a *client-server* service: its container's port mapping has a name, and
  its ``service_connect_configuration`` publishes the endpoint ``<callee>:<port>``;
- the caller is a *client* service (``enabled`` with the namespace): the Service Connect
  proxy in its tasks resolves ``<callee>`` and balances over the callee's tasks;
- the caller's container gets ``<CALLEE>_URL=http://<callee>:<port>`` in its environment.

The proxy in the callee listens on the container port (the default in awsvpc mode), so
the connection's security-group rule pair on that port is the network path. A task
resolves only the endpoints that existed when it started: the caller's ECS service
depends on the callee's (unless they call each other in a cycle, which Terraform cannot
order). Sources: the ECS developer guide, "Service Connect" (concepts, networking,
deployment order, considerations) and ``ServiceConnectService``.

A network connection from an ECS service to a shared file system (a target whose kind
answers :meth:`modules.base.Service.mount`, e.g. efs) mounts it in every task: a task
volume with ``efs_volume_configuration`` (TLS in transit, IAM authorization with the
task role), a mount point ``/mnt/<file system>`` in the container, and
``ClientMount``/``ClientWrite`` on that file system only for the task role. On EC2
capacity the agent mounts it in the task's network namespace, so the connection's
security-group rule pair on 2049 is the path (ECS developer guide, "Amazon EFS volumes").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from compiler.terraform.context import Ref
from modules.compute_kit import inline_policy

if TYPE_CHECKING:
    from compiler.ir import Architecture, Edge
    from compiler.terraform.context import ServiceContext, StackBuilder
    from modules.base import Mount

NAMESPACE = Ref("aws_service_discovery_http_namespace", "archc")


def url_variable(callee: str) -> str:
    """The caller's environment variable holding the callee's address.

    >>> url_variable("human-detection")
    'HUMAN_DETECTION_URL'
    """
    return re.sub(r"[^A-Z0-9]", "_", callee.upper()) + "_URL"


def url(callee: str, port: int) -> str:
    """The callee's address as the caller's Service Connect proxy answers it (short name, its port).

    >>> url("intrusion-api", 8081)
    'http://intrusion-api:8081'
    """
    return f"http://{callee}:{port}"


def namespace(stack: StackBuilder) -> Ref:
    """The architecture's Cloud Map namespace (made on first use, owned by the architecture)."""
    if not stack.has(NAMESPACE):
        saved, stack.current_edge = stack.current_edge, ""
        stack.add(
            "architecture",
            NAMESPACE.type,
            NAMESPACE.name,
            {
                "name": stack.arch.name,
                "description": f"archc: Service Connect names of the {stack.arch.name} ECS services",
                "tags": {"Name": stack.arch.name},
            },
        )
        stack.current_edge = saved
    return NAMESPACE


def calls_between(arch: Architecture, services: set[str]) -> list[Edge]:
    """Network connections whose both ends are among ``services`` (the ECS services), in model order."""
    return [e for e in arch.edges if e.via == "network" and e.source in services and e.target in services]


def waits_for(calls: list[Edge], caller: str) -> list[str]:
    """The callees whose ECS service the caller's is created after: each one it calls that
    does not (directly or not) call it back; in a cycle Terraform could order neither.

    >>> from compiler.ir import Edge
    >>> e = lambda s, t: Edge(f"{s}->{t}", s, t, "network", 80, "tcp", None, None, "", None)
    >>> waits_for([e("a", "b"), e("b", "c"), e("c", "b")], "a"), waits_for([e("a", "b"), e("b", "c"), e("c", "b")], "b")
    (['b'], [])
    """
    callees: dict[str, list[str]] = {}
    for edge in calls:
        callees.setdefault(edge.source, []).append(edge.target)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            here = todo.pop()
            if here == goal:
                return True
            if here not in seen:
                seen.add(here)
                todo += callees.get(here, [])
        return False

    return sorted({t for t in callees.get(caller, []) if not reaches(t, caller)})


def service_connect(ctx: ServiceContext, calls: list[Edge], port: int, log: dict[str, str]) -> dict[str, Any] | None:
    """The ``service_connect_configuration`` block of ``ctx``'s ECS service (None when it
    neither calls nor is called by another ECS service), its parts recorded per connection.

    ``port`` is this service's container port, ``log`` the awslogs options of the service's log group (the proxy logs there too)."""
    me = ctx.node.id
    served = [e for e in calls if e.target == me]
    made = [e for e in calls if e.source == me]
    if not served and not made:
        return None
    ns = namespace(ctx.stack)
    block: dict[str, Any] = {
        "enabled": True,
        "namespace": ns.arn,
        "log_configuration": [{"log_driver": "awslogs", "options": {**log, "awslogs-stream-prefix": "service-connect"}}],
    }
    service = ctx.stack_ref("aws_ecs_service")
    if served:
        block["service"] = [{"port_name": me, "discovery_name": me, "client_alias": [{"dns_name": me, "port": port}]}]
    for edge in served:
        ctx.stack.realize("discovery", service, f"Service Connect endpoint {me}:{port}", edge=edge.id)
    for edge in made:
        ctx.stack.realize("discovery", service, "Service Connect client (its proxy resolves the callee's name)", edge=edge.id)
        ctx.stack.realize("discovery", ns, f"Cloud Map namespace {ctx.arch.name}", edge=edge.id)
    return block


def caller_environment(ctx: ServiceContext, calls: list[Edge], ports: dict[str, int], own: dict[str, str]) -> dict[str, str]:
    """``<CALLEE>_URL`` for each ECS service ``ctx``'s calls (recorded as the connection's
    discovery in the task definition); a variable the model's ``environment`` sets keeps its value."""
    found: dict[str, str] = {}
    task = ctx.stack_ref("aws_ecs_task_definition")
    for edge in calls:
        if edge.source != ctx.node.id:
            continue
        name = url_variable(edge.target)
        if name in own:
            continue  # the architect's value wins (e.g. an address outside Service Connect)
        found[name] = url(edge.target, ports[edge.target])
        ctx.stack.realize("discovery", task, f"environment {name}={found[name]}", edge=edge.id)
    return found


def mounts(ctx: ServiceContext) -> list[tuple[Edge, Mount]]:
    """The file systems ``ctx``'s service connects to, one per target, in model order."""
    found: dict[str, tuple[Edge, Mount]] = {}
    for edge in ctx.arch.edges_from(ctx.node.id):
        target = ctx.arch.services[edge.target]
        mount = target.spec.mount(target, ctx.other(target.id)) if edge.via == "network" else None
        if mount is not None and edge.target not in found:
            found[edge.target] = (edge, mount)
    return list(found.values())


def mount_path(target: str) -> str:
    """Where a task sees a file system it connects to.

    >>> mount_path("shared-files")
    '/mnt/shared-files'
    """
    return f"/mnt/{target}"


def efs_volumes(ctx: ServiceContext, found: list[tuple[Edge, Mount]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The task definition's volumes and the container's mount points for ``found``
    (recorded as each connection's trigger), and the task role's permission to mount them."""
    volumes: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    statements: list[dict[str, Any]] = []
    task = ctx.stack_ref("aws_ecs_task_definition")
    for edge, mount in found:
        name = f"efs-{edge.target}"
        volumes.append(
            {
                "name": name,
                # IAM authorization needs TLS; the task role is the identity (no access point:
                # the file system's root directory, shared with its other clients).
                "efs_volume_configuration": [
                    {"file_system_id": mount.file_system_id, "transit_encryption": "ENABLED", "authorization_config": [{"iam": "ENABLED"}]}
                ],
            }
        )
        points.append({"sourceVolume": name, "containerPath": mount_path(edge.target), "readOnly": False})
        statements.append({"sid": f"Mount{len(statements)}", "actions": list(mount.actions), "resources": [mount.arn]})
        ctx.stack.realize("trigger", task, f"volume {name} mounted at {mount_path(edge.target)} (TLS, IAM)", edge=edge.id)
    if statements:
        policy = inline_policy(ctx, "mounts", ctx.role, statements)
        for edge, _ in found:
            ctx.stack.realize("permission", policy, "elasticfilesystem:ClientMount, ClientWrite on the file system", edge=edge.id)
    return volumes, points
