"""The generated docs: complete (every service and connection), linked (every relative link
and anchor resolves inside the output), and safe (model text renders as text)."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.docs.markdown import escape
from compiler.flow import request_path
from compiler.names import doc_edge_anchor, doc_service_page
from tests.conftest import MODELS, ROOT, model_cases

HOSTILE = ROOT / "tests" / "docs" / "hostile.yaml"
LINK = re.compile(r"(?<!\\)\]\(([^)\s]+)\)")  # not an escaped \](...) from model text
ANCHOR = re.compile(r'<a id="([^"]+)"></a>')


def _build(path: Path, env: str | None = None) -> pipeline.BuildResult:
    return pipeline.build(path, path.relative_to(ROOT).as_posix(), env=env)


CASES = model_cases([*MODELS, HOSTILE])  # each environment of a model with environments


@pytest.fixture(scope="module", params=[c.values for c in CASES], ids=[c.id for c in CASES])
def built(request: pytest.FixtureRequest) -> pipeline.BuildResult:
    return _build(*request.param)


def _docs(result: pipeline.BuildResult) -> dict[str, str]:
    return {rel: content.decode() for rel, content in result.files.items() if rel.startswith("docs/")}


def test_every_service_and_connection_is_documented(built: pipeline.BuildResult) -> None:
    docs, arch = _docs(built), built.arch
    for sid in arch.services:
        assert doc_service_page(sid) in docs, f"no page for {sid}"
    for edge in arch.edges:
        source, target = docs[doc_service_page(edge.source)], docs[doc_service_page(edge.target)]
        assert f'<a id="{doc_edge_anchor(edge)}"></a>' in source, f"{edge.id}: no anchor on {edge.source}'s page"
        assert f"({edge.source}.md#{doc_edge_anchor(edge)})" in target, f"{edge.id}: not listed as inbound on {edge.target}'s page"
    flow = docs["docs/data-flow.md"]
    for step in request_path(arch):
        assert f"| {step.number} | " in flow
    index = docs["docs/index.md"]
    assert all(f"(services/{sid}.md)" in index for sid in arch.services)
    assert all(f"(layers/{layer.name}.md)" in index for layer in arch.layers)


def test_every_relative_link_resolves_inside_the_output(built: pipeline.BuildResult) -> None:
    docs = _docs(built)
    anchors = {page: set(ANCHOR.findall(text)) for page, text in docs.items()}
    for page, text in docs.items():
        for target in LINK.findall(text):
            assert "://" not in target and not target.startswith("/"), f"{page}: non-relative link {target}"
            path, _, fragment = target.partition("#")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
            assert resolved in built.files, f"{page}: broken link {target}"
            if fragment:
                assert fragment in anchors[resolved], f"{page}: no anchor #{fragment} on {resolved}"


def test_security_page_lists_each_network_connection_rule(built: pipeline.BuildResult) -> None:
    security = _docs(built)["docs/security.md"]
    for edge in built.arch.edges:
        if edge.via == "network" and edge.port is not None and built.arch.services[edge.source].placement != "outside":
            assert f"#{doc_edge_anchor(edge)})" in security, f"{edge.id} missing from security.md"


def _cells(row: str) -> int:
    """Table cells of a Markdown row: pipes not escaped with a backslash."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


def test_model_text_renders_as_text() -> None:
    result = _build(HOSTILE)
    for page, text in _docs(result).items():
        for markup in (r"<script", r"<img", r"<b>", r"(?<!\\)\*\*strong", r"(?<!\\)\]\(javascript:", r"!\[img"):
            assert not re.search(markup, text), f"{page}: {markup} from the model reached the Markdown unescaped"
        header = 0
        for line in text.splitlines():
            if not line.startswith("|"):
                header = 0
                continue
            header = header or _cells(line)
            assert _cells(line) == header, f"{page}: a model string changed the table's columns: {line}"
    web = _docs(result)["docs/services/web.md"]
    assert escape("<script>alert('desc')</script>") in web


def test_escaping() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("<script>") == "&lt;script&gt;"
    assert escape("*x* _y_ `z` [l](u)") == "\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u)"
    assert escape("line\n# heading") == "line # heading"
    assert escape("- item") == "\\- item"
    assert escape("&amp; & R&D") == "&amp;amp; & R&D"


def test_docs_are_deterministic() -> None:
    first, second = _build(MODELS[0]), _build(MODELS[0])
    assert _docs(first) == _docs(second)
    for text in _docs(first).values():
        for needle in ("/root/", "/home/", "/tmp/", "/work/", "site-packages"):
            assert needle not in text


def test_compiled_templates_are_kept_and_never_change_a_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import jinja2

    from compiler.docs import render
    from compiler.terraform.emit import emit

    arch = pipeline.load(ROOT / "examples" / "udagram.yaml", "examples/udagram.yaml")
    stack = emit(arch)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *args: object, **kwargs: object) -> object:
        compiled.append(name)
        return compile_template(self, source, name, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    pages, compiles = [], []
    for _ in range(2):  # a new process each time, as far as the templates know
        render._environment.cache_clear()
        compiled.clear()
        pages.append(render.render_docs(arch, stack, "model.yaml"))
        compiles.append(len(compiled))
    render._environment.cache_clear()
    kept = list((tmp_path / "venv" / "var" / "cache" / "archc-jinja").iterdir())
    assert compiles[0] == len(kept) > 0
    assert compiles[1] == 0  # every template read back compiled
    assert pages[0] == pages[1]


def test_a_cache_that_cannot_be_written_costs_time_not_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import jinja2

    from compiler.caches import cache_dir
    from compiler.docs import render

    (tmp_path / "file").write_text("")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "file"))  # var/cache cannot be made under a file
    assert cache_dir("archc-jinja") is None
    gone = tmp_path / "gone"
    gone.mkdir()
    templates = render.TemplateCache(str(gone))
    gone.rmdir()  # removed after the build started: the compiled template is not kept, and no error
    bucket = jinja2.bccache.Bucket(jinja2.Environment(), "key", "checksum")
    bucket.code = compile("x = 1", "<t>", "exec")
    templates.dump_bytecode(bucket)
    assert not gone.exists()


def test_network_page_lists_people_outside_aws_apart_from_aws_services(built: pipeline.BuildResult) -> None:
    page = _docs(built)["docs/network.md"]
    regional = re.search(r"Regional or global AWS services reached through their APIs: (.*)", page)
    beyond = re.search(r"People and systems that call the architecture from the internet \(no Terraform\): (.*)", page)
    users = {sid for sid, node in built.arch.services.items() if node.spec.info.outside_aws}
    for sid in users:
        assert beyond and f"(services/{sid}.md)" in beyond[1]
        assert not regional or f"(services/{sid}.md)" not in regional[1]
    assert bool(beyond) == bool(users)


def test_security_pages_name_the_groups_aws_services_add_themselves() -> None:
    """Elastic Beanstalk's own load balancer and instance groups are not connections: the pages say so."""
    docs = _docs(_build(ROOT / "examples" / "udagram.yaml"))
    security, api = docs["docs/security.md"], docs["docs/services/api.md"]
    note = "Elastic Beanstalk adds two security groups of its own"
    assert "Except what AWS services add themselves, outside archc's Terraform:" in security
    assert f"- [Backend API (Node.js on Elastic Beanstalk)](services/api.md): {note}" in security
    assert note in api.split("## Network access", 1)[1].split("## IAM permissions", 1)[0]
    assert "open to any address (0.0.0.0/0) on 80;" in api


def test_a_monitors_page_lists_each_alarm_with_the_threshold_in_effect(built: pipeline.BuildResult) -> None:
    """One row per alarm the monitor emitted, naming the watched service and its threshold
    (travel-booking sets its database's CPU threshold in the model: 70, not archc's 80)."""
    docs = _docs(built)
    for res in built.stack.resources.values():
        if res.type != "aws_cloudwatch_metric_alarm":
            continue
        page = docs[doc_service_page(res.owner)].split("## Alarms", 1)[1]
        row = next(line for line in page.splitlines() if f"`{res.address}`" in line)
        assert f" {res.body['threshold']} for " in row, row
    if built.arch.name == "travel-booking":
        page = docs[doc_service_page("monitoring")]
        assert "| [Amazon RDS (Multi-AZ)](bookings-db.md) | `AWS/RDS CPUUtilization` | Average above 70 for 3 periods of 5 min |" in page
