"""How many network interfaces (ENIs) an EC2 instance type can attach.

An ECS task with awsvpc networking gets an ENI of its own, and the container instance
keeps its primary ENI, so an instance runs at most ``ENIs - 1`` awsvpc tasks (ECS ENI
trunking raises that, but only on some larger types and only after an account-level
opt-in that archc does not make). The ecs-cluster kind checks its services' tasks fit.

Source: AWS, Amazon EC2 User Guide, "Elastic network interfaces": maximum network
interfaces per instance type (``aws ec2 describe-instance-types --query
'InstanceTypes[].[InstanceType,NetworkInfo.MaximumNetworkInterfaces]'``). The table
holds the common general-purpose, compute- and memory-optimised sizes; a type not in
it is not checked.
"""

from __future__ import annotations

# Sizes of the current general-purpose (m), compute (c) and memory (r) families from
# large to 4xlarge share one pattern; burstable (t) families differ at the small end.
_NITRO_SIZES = {"large": 3, "xlarge": 4, "2xlarge": 4, "4xlarge": 8}
_NITRO_FAMILIES = [
    "m5",
    "m5a",
    "m6a",
    "m6g",
    "m6i",
    "m7g",
    "m7i",
    "c5",
    "c5a",
    "c6a",
    "c6g",
    "c6i",
    "c7g",
    "c7i",
    "r5",
    "r5a",
    "r6a",
    "r6g",
    "r6i",
    "r7g",
    "r7i",
]

MAX_ENIS: dict[str, int] = {
    **{f"t2.{size}": n for size, n in {"nano": 2, "micro": 2, "small": 3, "medium": 3, "large": 3, "xlarge": 3, "2xlarge": 3}.items()},
    **{
        f"{family}.{size}": n
        for family in ("t3", "t3a", "t4g")
        for size, n in {"nano": 2, "micro": 2, "small": 3, "medium": 3, "large": 3, "xlarge": 4, "2xlarge": 4}.items()
    },
    **{f"{family}.{size}": n for family in _NITRO_FAMILIES for size, n in _NITRO_SIZES.items()},
}


def awsvpc_tasks_per_instance(instance_type: str) -> int | None:
    """How many awsvpc tasks one instance of this type can run; None when unknown.

    >>> awsvpc_tasks_per_instance("t2.micro"), awsvpc_tasks_per_instance("m5.large"), awsvpc_tasks_per_instance("x9.huge")
    (1, 2, None)
    """
    enis = MAX_ENIS.get(instance_type)
    return None if enis is None else enis - 1
