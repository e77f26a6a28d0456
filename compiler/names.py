"""Where each model element lands in each output: one place, so outputs agree.

The Terraform stage, the diagrams, the docs, the manifest (``archc verify``) and
``archc check`` all name resources, services and connections through these functions; change a convention here and every output and
its checker follow.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from compiler.ir import Edge, Reference

DIAGRAM_VIEWS = ("overview", "network", "data-flow")  # diagrams/<view>.{dot,svg,png}; every build draws them


def model_reference(model: Path, out: Path) -> str:
    """How the outputs name their model (``cdktf.json``'s ``app``, the docs footer): its
    path relative to the output directory, the same from wherever archc runs; the file
    name alone where no relative path exists (another drive).

    >>> model_reference(Path("/p/examples/shop.yaml"), Path("/p/generated/shop"))
    '../../examples/shop.yaml'
    """
    try:
        return Path(os.path.relpath(model.resolve(), out.resolve())).as_posix()
    except ValueError:
        return model.name


def terraform_address(rtype: str, name: str, *, data: bool = False) -> str:
    """The Terraform address of a resource or a data source (``Resource.address``).

    >>> terraform_address("aws_lb", "alb"), terraform_address("aws_iam_policy_document", "x", data=True)
    ('aws_lb.alb', 'data.aws_iam_policy_document.x')
    """
    return f"data.{rtype}.{name}" if data else f"{rtype}.{name}"


def diagram_file(view: str, ext: str) -> str:
    """Path of a figure inside the output directory: ``diagrams/overview.svg``."""
    return f"diagrams/{view}.{ext}"


def diagram_layer_view(layer: str) -> str:
    """The detail view of one layer, drawn when a model is too large for one overview:
    ``layers/<layer>`` (``diagrams/layers/<layer>.svg``)."""
    return f"layers/{layer}"


def diagram_href(view: str, path: str) -> str:
    """A link from a figure to ``path`` (relative to the output directory).

    >>> diagram_href("layers/app", "docs/services/db.md")
    '../../docs/services/db.md'
    """
    return posixpath.relpath(path, posixpath.dirname(diagram_file(view, "svg")))


def diagram_node_id(service_id: str) -> str:
    """The DOT node id of a service in every view (service ids are already safe)."""
    return service_id


def diagram_edge_id(edge: Edge) -> str:
    """The DOT ``id`` attribute of a connection's edge: ``web->db`` (``#2`` for a repeat)."""
    return edge.id


def diagram_reference_id(ref: Reference) -> str:
    """The DOT ``id`` of a setting's relationship edge: ``lb-[access_logs]->logs``."""
    return f"{ref.source}-[{ref.setting}]->{ref.target}"


def diagram_service_href(service_id: str, view: str = "overview") -> str:
    """Where a service's node links, relative to the figure: its docs page."""
    return diagram_href(view, doc_service_page(service_id))


def diagram_edge_href(edge: Edge, view: str = "overview") -> str:
    """Where a connection's edge links, relative to the figure: its row on the source's page."""
    return diagram_href(view, doc_edge_link(edge))


def doc_service_page(service_id: str) -> str:
    """Path of a service's docs page inside the output directory."""
    return f"docs/services/{service_id}.md"


def doc_edge_anchor(edge: Edge) -> str:
    """HTML anchor of a connection on its source's page: ``to-db`` (``to-db-2`` for a repeat)."""
    suffix = edge.id.partition("#")[2]
    return f"to-{edge.target}" + (f"-{suffix}" if suffix else "")


def doc_edge_link(edge: Edge) -> str:
    """Page and anchor of a connection: ``docs/services/web.md#to-db``."""
    return f"{doc_service_page(edge.source)}#{doc_edge_anchor(edge)}"


def doc_override_anchor(index: int) -> str:
    """HTML anchor of a service's ``overrides[index]`` on its docs page: ``override-0``."""
    return f"override-{index}"
