"""The ``archc`` command line: arguments, messages, and the outputs written (:mod:`compiler.outputs`).

Exit codes: 0 success, 1 the model has errors, 2 usage error, 3 internal error.
"""

from __future__ import annotations

import argparse
import errno
import gc
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from compiler.errors import ArchcError, ToolMissing
from compiler.outputs import OutputError, check_destination, write_tree

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

    from compiler.docs.live import SiteBuilder
    from compiler.docs.serve import Channel
    from compiler.ir import Architecture
    from compiler.pipeline import BuildResult
    from compiler.terraform.context import StackBuilder

# `compiler.pipeline` (pydantic and the catalog) is imported by the commands that use
# it: build and plan start node before it (see _start_cdktn; bench/results.md, Notes).

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
_FULL_DISK = (errno.ENOSPC, errno.EDQUOT)  # the machine's state, not a bug of archc's


def _display(path: Path) -> str:
    """How a path is shown in messages: relative to the working directory. (Generated
    files name the model relative to the output directory: names.model_reference.)"""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        try:
            return Path(os.path.relpath(path.resolve(), Path.cwd().resolve())).as_posix()
        except ValueError:  # another drive (Windows): nothing relative exists
            return path.as_posix()


def cmd_validate(args: argparse.Namespace) -> int:
    from compiler import pipeline

    status = EXIT_OK
    for file in args.files:
        path, shown = Path(file), _display(Path(file))
        try:
            envs: list[str | None] = [args.env] if args.env else [*pipeline.environment_names(path, shown)[1]] or [None]
        except ArchcError as exc:
            _print_errors(exc)
            status = EXIT_INVALID
            continue
        stacks, errors = [], []
        for env in envs:  # every environment of the model; each is a model of its own
            try:
                stacks.append(pipeline.check(path, shown, env))
            except ArchcError as exc:
                errors += [d for d in exc.diagnostics if d not in errors]  # the base's errors, once
        if errors:
            _print_errors(ArchcError(errors))
            status = EXIT_INVALID
            continue
        for stack in stacks:
            _print_warnings(stack.arch)
        counts = f"{len(stacks[0].arch.services)} services, {len(stacks[0].arch.edges)} connections"
        named = [env for env in envs if env]
        where = f"; environment{'s' if len(named) > 1 else ''} {', '.join(named)}" if named else ""
        print(f"{shown}: ok ({counts}{where})")
    return status


def _start_cdktn(args: argparse.Namespace) -> None:
    """Boot node and cdktn in the background now (most of it is node's own work): it
    then overlaps importing archc's stages and reading the model."""
    from compiler.terraform import runtime

    if args.own_process:  # build, plan and check build one model, then the process ends
        runtime.one_shot()
    runtime.start()


def _build_and_write(
    args: argparse.Namespace, on_terraform: Callable[[dict[str, bytes]], None] | None = None
) -> tuple[BuildResult, Path] | int:
    """Build and write the outputs; an exit code on failure."""
    _start_cdktn(args)
    from compiler import pipeline

    path = Path(args.file)
    env: str | None = getattr(args, "env", None)
    env_out = None

    def out_dir(name: str) -> Path:
        return Path(args.out) if args.out else env_out or pipeline.default_out(name)

    try:
        if args.out:
            check_destination(Path(args.out))  # before the build: a bad --out costs no time
        elif env:  # an environment's outputs go under the model's own name: generated/<name>/<env>/
            env_out = pipeline.default_out(pipeline.environment_names(path, _display(path))[0]) / env
        result = pipeline.build(path, _display(path), on_terraform, out_dir, env)
    except OutputError as exc:
        print(f"archc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ArchcError as exc:
        _print_errors(exc)
        return EXIT_INVALID
    _print_warnings(result.arch)
    out = out_dir(result.arch.name)
    try:
        write_tree(out, result.files)
    except OutputError as exc:
        print(f"archc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return result, out


def cmd_build(args: argparse.Namespace) -> int:
    if not args.env:
        from compiler import pipeline

        path = Path(args.file)
        try:
            name, envs = pipeline.environment_names(path, _display(path))
        except ArchcError as exc:
            _print_errors(exc)
            return EXIT_INVALID
        if envs:
            return _build_environments(args, name, envs)
    built = _build_and_write(args)
    if isinstance(built, int):
        return built
    result, out = built
    print(f"{_display(Path(args.file))}: built {_counts(result)} into {_display(out)}/")
    return EXIT_OK


def _counts(result: BuildResult) -> str:
    # Counted as the docs and `terraform plan` count: managed resources, then data sources.
    data = sum(1 for r in result.stack.resources.values() if r.data)
    resources = len(result.stack.resources) - data
    return f"{len(result.arch.services)} services, {resources} resources and {data} data sources"


def _build_environments(args: argparse.Namespace, name: str, envs: list[str]) -> int:
    """Every environment of a model, each into DIR/<env>/; all written at once, or none."""
    from compiler import pipeline
    from compiler.terraform import runtime

    runtime.start()  # not one-shot: node synthesizes once per environment
    path = Path(args.file)
    out = Path(args.out) if args.out else pipeline.default_out(name)
    try:
        if args.out:
            check_destination(out)
        built = pipeline.build_environments(path, _display(path), out, envs)
        for result in built.results.values():
            _print_warnings(result.arch)
        write_tree(out, built.files)
    except OutputError as exc:
        print(f"archc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ArchcError as exc:
        _print_errors(exc)
        return EXIT_INVALID
    for env, result in built.results.items():
        print(f"{_display(path)}: built environment {env}: {_counts(result)} into {_display(out / env)}/")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from compiler.plan import PlanEngineUnavailable, PlanSession

    provider: Literal["standin", "real"] = args.provider or ("real" if args.terraform else "standin")
    if provider == "standin" and (args.terraform or args.plugin_dir):
        print(f"archc: error: {'--terraform' if args.terraform else '--plugin-dir'} needs --provider real", file=sys.stderr)
        return EXIT_USAGE
    session = PlanSession(
        provider=provider,
        plugin_dir=Path(args.plugin_dir) if args.plugin_dir else None,
        terraform_binary=Path(args.terraform) if args.terraform else None,
    )
    # Terraform and the stand-in provider start first (spawning them takes almost no
    # Python), then node (_build_and_write), all while the model is compiled; the plan
    # runs while the figures are finished and the docs written.
    try:
        with session:
            built = _build_and_write(args, on_terraform=lambda files: session.begin(files, validate_only=args.validate_only))
            if isinstance(built, int):
                return built
            result, _ = built
            plans = session.result()
    except PlanEngineUnavailable as exc:
        print(f"archc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from compiler.plan_report import report

    lines, errors = report(result, plans, session.notes)
    for line in lines:
        print(line, file=sys.stderr if "error[" in line else sys.stdout)
    return EXIT_INVALID if errors else EXIT_OK


def cmd_diagram(args: argparse.Namespace) -> int:
    from compiler import pipeline
    from compiler.diagrams import render_diagrams
    from compiler.terraform.emit import emit

    path = Path(args.file)
    try:
        arch = pipeline.load(path, _display(path), args.env)
    except ArchcError as exc:
        _print_errors(exc)
        return EXIT_INVALID
    _print_warnings(arch)
    files = render_diagrams(arch, emit(arch))
    home = pipeline.default_out(pipeline.environment_names(path)[0]) / args.env if args.env else pipeline.default_out(arch.name)
    out = Path(args.out) if args.out else home / "diagrams"
    try:
        write_tree(out, {rel.removeprefix("diagrams/"): content for rel, content in files.items()})
    except OutputError as exc:
        print(f"archc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{_display(path)}: drew {len(files) // 3} views into {_display(out)}/")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Build, then prove the stacks secure: checkov offline plus archc's invariants.
    The build goes to ``--out`` when given, else to a scratch directory removed after
    the scan: a check writes nothing the user did not ask for."""
    if args.out:
        return _check(args)
    with tempfile.TemporaryDirectory(prefix="archc-check-") as scratch:
        return _check(argparse.Namespace(**{**vars(args), "out": str(Path(scratch) / "build")}))


def _check(args: argparse.Namespace) -> int:
    import time

    from compiler.check.report import run_check
    from compiler.check.scan import CheckovUnavailable

    started = time.monotonic()
    built = _build_and_write(args)
    if isinstance(built, int):
        return built
    result, out = built
    try:
        report = run_check(result, out / "terraform")
    except CheckovUnavailable as exc:
        print(f"archc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for diag in sorted(report.unexplained, key=lambda d: (d.line, d.col, d.message)):
        print(diag.format(), file=sys.stderr)
    print(f"{report.summary(_display(Path(args.file)))} ({time.monotonic() - started:.1f} s)")
    return EXIT_INVALID if report.failed else EXIT_OK


def _checked(path: Path, env: str | None) -> StackBuilder | int:
    """The model's checked stack (what validate checks) for one environment, its warnings
    printed; else its errors printed and the exit code."""
    from compiler import pipeline

    try:
        stack = pipeline.check(path, _display(path), env)
    except ArchcError as exc:
        _print_errors(exc)
        return EXIT_INVALID
    _print_warnings(stack.arch)
    return stack


def cmd_explain(args: argparse.Namespace) -> int:
    """Each resource of a service: where it comes from, and before and after its overrides;
    or a model path's final value and the line that set it (base or environment)."""
    from compiler import pipeline
    from compiler.errors import did_you_mean
    from compiler.explain_path import PathNotFound, explain_path
    from compiler.explain_service import explain_service

    path = Path(args.file)
    stack = _checked(path, args.env)
    if isinstance(stack, int):
        return stack
    if args.service in stack.arch.services:
        print("\n".join(explain_service(stack, args.service)))
        return EXIT_OK
    try:
        chosen = pipeline.load_environment(path, _display(path), args.env)
        print("\n".join(explain_path(chosen, args.service)))
    except PathNotFound as exc:
        hint = exc.hint or ("" if "." in args.service else did_you_mean(args.service, stack.arch.services))
        print(f"archc: error: {_display(path)} has no service or model path '{args.service}'{hint}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from compiler.model import json_schema

    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from compiler.starter import InitError, init

    directory = Path(args.dir)
    try:
        started = init(directory, args.example, args.name)
    except InitError as exc:
        print(f"archc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    import shlex

    model = shlex.quote(_display(directory / "architecture.yaml"))
    print(f"{_display(directory)}/: wrote {', '.join(started.files)} (architecture '{started.name}')")
    print(f"next: archc validate {model} && archc build {model}")
    return EXIT_OK


def cmd_ci(args: argparse.Namespace) -> int:
    from compiler.ci import markdown, run_model

    if args.outputs and len(args.files) > 1:
        print("archc: error: --outputs names the outputs of one model; give one FILE", file=sys.stderr)
        return EXIT_USAGE
    reports = []
    for file in args.files:
        path = Path(file)
        outputs = Path(args.outputs) if args.outputs else None
        for found in run_model(path, _display(path), outputs, plan=not args.no_plan, check=not args.no_check, display=_display):
            for diag in [*found.errors, *found.findings]:
                print(diag.format(), file=sys.stderr)
            if found.staleness.stale:
                s = found.staleness
                counts = f"{len(s.changed)} changed, {len(s.missing)} not committed, {len(s.extra)} no longer built"
                print(
                    f"{found.model}: {found.outputs}/ is stale ({counts}): run archc build {found.rebuild or found.model}", file=sys.stderr
                )
            reports.append(found)
    text = markdown(reports)
    sys.stdout.write(text)
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as summary:
            summary.write(text)
    return EXIT_OK if all(r.ok for r in reports) else EXIT_INVALID


def cmd_cost(args: argparse.Namespace) -> int:
    from compiler.cost.estimate import estimate
    from compiler.cost.report import as_json, text

    stack = _checked(Path(args.file), args.env)
    if isinstance(stack, int):
        return stack
    found = estimate(stack.arch, stack)
    for diag in found.warnings:
        print(diag.format(), file=sys.stderr)
    sys.stdout.write(as_json(stack.arch, found) if args.format == "json" else text(stack.arch, found, lines=args.lines))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from compiler.verify import environment_dirs, verify

    status = EXIT_OK
    for out in environment_dirs(Path(args.dir)) or [Path(args.dir)]:  # a model with environments: each one's
        problems, manifest = verify(out, _display(out).rstrip("/"))
        for diag in problems:
            print(diag.format(), file=sys.stderr)
        if problems or manifest is None:
            status = EXIT_INVALID
            continue
        counts = f"{len(manifest['files'])} files, {len(manifest['services'])} services, {len(manifest['connections'])} connections"
        print(f"{_display(out)}/: verified {counts}: every one in every output, no file changed")
    return status


def cmd_docs(args: argparse.Namespace) -> int:
    from compiler.docs.live import SiteBuilder
    from compiler.docs.serve import Channel, server
    from compiler.docs.site import SiteError

    out = Path(args.out) if args.out else Path("generated") / "site"
    paths = [Path(file) for file in args.files]
    httpd, channel = None, Channel()
    if args.serve:  # the port first: a taken one costs no build
        try:
            httpd = server(out, args.port, channel)
        except OSError as exc:
            why = "it is in use (choose another with --port)" if exc.errno == errno.EADDRINUSE else exc.strerror
            print(f"archc: error: cannot serve on 127.0.0.1 port {args.port}: {why}", file=sys.stderr)
            return EXIT_USAGE
    # Each architecture's pages go to the site's <name>/; each model's warnings are printed as it builds.
    site = SiteBuilder(paths, _display, lambda files: write_tree(out, files), lambda name: out / name, _print_warnings)
    try:
        site.update(paths)
    except (ArchcError, SiteError, OutputError) as exc:
        if httpd is not None:
            httpd.server_close()
        if isinstance(exc, ArchcError):
            _print_errors(exc)
            return EXIT_INVALID
        print(f"archc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    count = site.architectures  # each environment of a model is one
    print(f"docs site for {count} architecture{'s' if count != 1 else ''} in {_display(out)}/ (open index.html)", flush=True)
    if httpd is None:
        return EXIT_OK
    return _serve_live(args, site, httpd, channel)


def _serve_live(args: argparse.Namespace, site: SiteBuilder, httpd: ThreadingHTTPServer, channel: Channel) -> int:
    """Serve the site and rebuild it when a model file changes, until Ctrl-C."""
    import threading
    import time

    from compiler.docs.live import watch
    from compiler.docs.serve import address
    from compiler.docs.site import SiteError

    def rebuild(changed: list[Path]) -> None:
        started = time.perf_counter()
        names = ", ".join(_display(p) for p in changed)
        try:
            rebuilt = site.update(changed)
        except ArchcError as exc:
            errors = tuple(diag.format() for diag in exc.diagnostics)
        except (SiteError, OutputError) as exc:
            errors = (f"archc: error: {exc}",)
        except Exception as exc:  # a bug: say so, and keep serving the last good site
            if args.debug:
                traceback.print_exception(exc)
            errors = (f"archc: internal error: {type(exc).__name__}: {exc} (run with --debug for details; please report it)",)
        else:
            if rebuilt:
                channel.new_build()
            else:
                channel.errors(())
            done = "rebuilt the site" if rebuilt else "no page changed"
            print(f"{names}: {done} ({time.perf_counter() - started:.2f} s)", flush=True)
            return
        for line in errors:
            print(line, file=sys.stderr)
        print(f"archc: {names}: the site stays as it was until the model is fixed", file=sys.stderr, flush=True)
        channel.errors(errors)

    threading.Thread(target=httpd.serve_forever, name="archc-serve", daemon=True).start()
    watched = ", ".join(_display(p) for p in site.paths)
    print(f"serving on {address(httpd)}, rebuilt on every save of {watched} (Ctrl-C stops)", flush=True)
    try:
        watch(site.paths, rebuild)
    except KeyboardInterrupt:
        pass
    finally:
        channel.close()
        httpd.shutdown()
        httpd.server_close()
    print("stopped", flush=True)
    return EXIT_OK


def _print_errors(exc: ArchcError) -> None:
    for diag in exc.diagnostics:
        print(diag.format(), file=sys.stderr)


def _print_warnings(arch: Architecture) -> None:
    """What a model compiles with but should change (a version AWS deprecates soon, an
    empty layer): every command that loads a model prints them, on stderr."""
    for diag in arch.warnings:
        print(diag.format(), file=sys.stderr)


def parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    p = argparse.ArgumentParser(prog="archc", description="Compile an AWS architecture model (YAML) into Terraform, diagrams and docs.")
    p.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check model files; print every error as FILE:LINE:COL")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--env", metavar="ENV", help="validate only this environment of the model (default: every one)")
    v.set_defaults(run=cmd_validate)

    b = sub.add_parser("build", help="validate, then write all outputs")
    b.add_argument("file", metavar="FILE")
    b.add_argument("--out", metavar="DIR", help="output directory (default: generated/<name>/, with --env generated/<name>/<env>/)")
    b.add_argument("--env", metavar="ENV", help="build this environment only (default: every environment, each into DIR/<env>/)")
    b.set_defaults(run=cmd_build)

    pl = sub.add_parser("plan", help="build, then run Terraform core: init and plan (which validates) every stack")
    pl.add_argument("file", metavar="FILE")
    pl.add_argument("--out", metavar="DIR", help="output directory (default: generated/<name>/)")
    pl.add_argument("--env", metavar="ENV", help="the environment to plan (required for a model with environments)")
    pl.add_argument("--validate-only", action="store_true", help="stop after terraform validate")
    pl.add_argument(
        "--provider",
        choices=("standin", "real"),
        help="standin (default): archc's offline stand-in for hashicorp/aws (schema checks, plan); "
        "real: the real hashicorp/aws found the way terraform init finds it (init and validate; plan only with AWS credentials)",
    )
    pl.add_argument(
        "--plugin-dir", metavar="DIR", help="with --provider real: install hashicorp/aws from DIR only (terraform init -plugin-dir)"
    )
    pl.add_argument(
        "--terraform", metavar="PATH", help="run this terraform binary instead of the built-in Terraform core (implies --provider real)"
    )
    pl.set_defaults(run=cmd_plan)

    ve = sub.add_parser("verify", help="check that DIR still matches its build: every element in every output, no file edited")
    ve.add_argument("dir", metavar="DIR")
    ve.set_defaults(run=cmd_verify)

    ds = sub.add_parser("docs", help="build a docs site (mkdocs + Material, offline) over one or more models")
    ds.add_argument("files", nargs="+", metavar="FILE")
    ds.add_argument("--out", metavar="DIR", help="site directory (default: generated/site/)")
    live = "then serve it on 127.0.0.1:PORT, rebuilt on every save of a FILE (pages reload), until Ctrl-C"
    ds.add_argument("--serve", action="store_true", help=live)
    ds.add_argument("--port", type=int, default=8000, help="port for --serve (default: 8000)")
    ds.set_defaults(run=cmd_docs)

    d = sub.add_parser("diagram", help="draw only the figures (overview, network, data flow) as DOT, SVG and PNG")
    d.add_argument("file", metavar="FILE")
    d.add_argument("--out", metavar="DIR", help="output directory (default: generated/<name>/diagrams/)")
    d.add_argument("--env", metavar="ENV", help="the environment to draw (required for a model with environments)")
    d.set_defaults(run=cmd_diagram)
    c = sub.add_parser("check", help="build, then run checkov offline and archc's security invariants on every stack")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--out", metavar="DIR", help="also keep the build in DIR (default: a scratch directory, removed after the check)")
    c.add_argument("--env", metavar="ENV", help="the environment to check (required for a model with environments)")
    c.set_defaults(run=cmd_check)

    i = sub.add_parser("init", help="start a model in DIR: architecture.yaml (from a starter or an example), its schema, a README")
    i.add_argument("dir", nargs="?", default=".", metavar="DIR", help="directory to write into (default: the current one)")
    i.add_argument("--from", dest="example", metavar="EXAMPLE", help="start from this example of examples/ (renamed)")
    i.add_argument("--name", help="the architecture's name (default: from DIR's name)")
    i.set_defaults(run=cmd_init)

    ci = sub.add_parser(
        "ci", help="for a pull request: build each FILE in memory, fail if its committed outputs differ, plan and check; Markdown summary"
    )
    ci.add_argument("files", nargs="+", metavar="FILE")
    ci.add_argument("--outputs", metavar="DIR", help="the committed outputs of the (one) FILE (default: generated/<name>/)")
    ci.add_argument("--no-plan", action="store_true", help="skip Terraform plan")
    ci.add_argument("--no-check", action="store_true", help="skip checkov and the invariants")
    ci.add_argument("--summary", metavar="FILE", help="also append the Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)")
    ci.set_defaults(run=cmd_ci)

    co = sub.add_parser("cost", help="the monthly cost per service, layer and in total (list prices, free tier applied), offline")
    co.add_argument("file", metavar="FILE")
    co.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json for CI")
    co.add_argument("--lines", action="store_true", help="with text: each priced line under its service")
    co.add_argument("--env", metavar="ENV", help="the environment to price (required for a model with environments)")
    co.set_defaults(run=cmd_cost)
    ex = sub.add_parser(
        "explain",
        help="print each Terraform resource of a service: where it comes from, its body, and before/after its overrides; "
        "or a model path's final value and the file:line that set it",
    )
    ex.add_argument("file", metavar="FILE")
    ex.add_argument("service", metavar="SERVICE|PATH", help="a service, or a model path (layers.data.services.db.multi_az, region, tags)")
    ex.add_argument("--env", metavar="ENV", help="the environment to explain (required for a model with environments)")
    ex.set_defaults(run=cmd_explain)

    s = sub.add_parser("schema", help="print the JSON Schema of model files (for editors)")
    s.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    s.set_defaults(run=cmd_schema)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``archc`` command."""
    args = parser().parse_args(argv)
    args.own_process = argv is None  # the `archc` command itself, not a caller in Python
    code = _run(args)
    if args.own_process:
        end_process()
    return code


def end_process() -> None:
    """Prepare the `archc` process to end: its files are written, its messages printed.

    Python's shutdown runs the garbage collector over every object still alive (the
    provider schema alone is ~1M of them) while it clears the modules; frozen, they are
    left out of those passes. The exit itself stays Python's own: atexit hooks (jsii's
    stops node) and finalizers run, and the output streams are flushed.
    """
    gc.freeze()


def _run(args: argparse.Namespace) -> int:
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except ToolMissing as exc:
        print(f"archc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("archc: interrupted; outputs left as they were", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `archc explain ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error as Python flushes stdout at exit
        return EXIT_OK
    except OSError as exc:
        if exc.errno not in _FULL_DISK:
            return _internal(args, exc)
        # Writing the output reports its own errors (OutputError): this was the temp dir.
        where = tempfile.gettempdir()
        print(f"archc: error: {exc.strerror} while writing temporary files under {where}", file=sys.stderr)
        print("archc: free space there or set TMPDIR; outputs were left as they were", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        return _internal(args, exc)


def _internal(args: argparse.Namespace, exc: BaseException) -> int:
    if args.debug:
        traceback.print_exception(exc)
    print(f"archc: internal error: {type(exc).__name__}: {exc} (run with --debug for details; please report it)", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
