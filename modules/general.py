"""General: the people and systems outside AWS that start the request path."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from modules.base import KindInfo, Service

if TYPE_CHECKING:
    from compiler.ir import ServiceNode
    from compiler.terraform.context import ServiceContext


class Users(Service):
    """The users (browsers, mobile apps, partner systems) that call the architecture.

    It compiles into no Terraform: its connections document where the request path
    starts, for the figures and the docs' data flow.
    """

    info: ClassVar[KindInfo] = KindInfo(
        title="Users",
        family="general",
        summary="People or client systems outside AWS: where the request path starts.",
        icon="aws.general.Users",
        needs="none",
        outside_aws=True,
    )

    kind: Literal["users"]

    def terraform(self, node: ServiceNode, ctx: ServiceContext) -> None:
        """Nothing to deploy."""
