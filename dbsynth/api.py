"""The Python API: ``fit``, ``plan``, ``generate`` and ``clone``, what the CLI calls and users import.

    model = dbsynth.fit("postgresql://readonly@prod/shop", sample_rows=50_000)
    model.save("shop.model.json")
    result = dbsynth.generate(model, "postgresql://localhost/shop_qa", scale=3, seed=7,
                              create_schema=True)

    plan = dbsynth.plan(model, "./out", scale=3)       # what the run will do, nothing opened
    print("\n".join(plan.describe()))
    dbsynth.generate(model, "./out", plan=plan)         # runs exactly that plan

Options are data (``dbsynth.options``): each function takes them as an options object or as
keywords, checked before anything is opened.

``generate`` runs the plan's generation in a worker thread and writes in the calling thread, so
numpy work overlaps the database round trips (both release the GIL for most of their time);
with ``jobs`` 2 or more (the default on a machine with several cores) the generation runs in a
second process instead (:mod:`dbsynth.parallel`), with the same rows. A failure or Ctrl-C stops
both sides, rolls back what the target can roll back, and the raised error says what was left
behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
import typing
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Generator as Generator_
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import URL

from dbsynth.config import Config, apply_config
from dbsynth.db import backend, connect, parse_url
from dbsynth.errors import DbsynthError, GenerationError, UnsupportedDatabase, UsageError
from dbsynth.fitting.children import config_children
from dbsynth.fitting.fit import fit as fit_source
from dbsynth.fitting.reference import without_reference_copies
from dbsynth.generation.engine import Generator
from dbsynth.introspection import introspect
from dbsynth.model import Model
from dbsynth.options import FileFormat, FitOptions, GenerateOptions, default_of, resolve, split
from dbsynth.parallel import Item, effective_jobs, generated_elsewhere
from dbsynth.planning.plan import ALL_ROOTS, Capabilities, Plan, make_plan
from dbsynth.planning.shared_keys import disjoint_key_starts
from dbsynth.schema import Schema
from dbsynth.writing import open_target
from dbsynth.writing.base import Batch, Encoded, LoadResult, Target, Update
from dbsynth.writing.identity import identity, recorded
from dbsynth.writing.safety import refuse_recorded_source, refuse_source

T = TypeVar("T")
Progress = Callable[[str, int, int], None]  # (table, rows written so far, rows planned)
QUEUE_BATCHES = 4  # batches generated ahead of the writer: overlap without unbounded memory


@dataclass(frozen=True)
class GenerateResult:
    plan: Plan
    load: LoadResult | None
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def load_model(model: Model | str | Path) -> Model:
    return model if isinstance(model, Model) else Model.load(model)


def fit(
    source: str | URL,
    *,
    options: FitOptions | None = None,
    schema: Schema | None = None,
    config: Config | None = None,
    on_table: Callable[[str, int], None] | None = None,
    **keywords: Any,
) -> Model:
    """Introspect and sample ``source`` read-only, then fit a model of it.

    The options (:class:`~dbsynth.options.FitOptions`) come as ``options=`` or as keywords
    (``fit(url, sample_rows=20_000)``); keywords win. Options left at None come from ``config``
    (a ``dbsynth.yaml``), else the defaults. ``schema`` skips introspection; ``on_table`` is
    called with each table and its sampled row count.
    """
    opts = resolve(FitOptions, options, keywords, where="fit()")
    model = fit_source(
        source,
        schemas=opts.schemas,
        tables=opts.tables,
        sample_rows=opts.sample_rows,
        min_count=opts.min_count,
        seed=opts.seed,
        locale=opts.locale,
        where=opts.where,
        schema=schema,
        config=config,
        on_table=on_table,
        holdout=opts.holdout,
    )
    # The source as its server names it: generate refuses it as a target under any name.
    return dataclasses.replace(model, source_identity=recorded(identity(parse_url(source))))


def plan(
    model: Model | str | Path,
    target: str | Path | URL | Target | None = None,
    *,
    options: GenerateOptions | None = None,
    config: Config | None = None,
    **keywords: Any,
) -> Plan:
    """The plan of a run of ``model`` into ``target``: row counts, order, chunks, seed and how
    every foreign key is filled. :func:`generate` runs exactly this plan (``plan=``) and
    ``--dry-run`` prints it.

    ``target`` (a URL, a directory or a Target; nothing is opened) tells what the target can
    do: a directory of files cannot UPDATE, so cut FKs are written directly. Without a target
    the plan is for a database. Options as in :func:`generate`. The ``config``'s rows, scale
    and seed shape the plan; its column settings change the model, not the plan (they are
    checked here, and applied by ``generate(model, target, config=config)``).
    """
    opts = resolve(GenerateOptions, options, keywords, where="plan()")
    caps = Capabilities() if target is None else capabilities(_target(target, None, opts.file_format))
    model = load_model(model)
    if config is not None:
        model = config_children(apply_config(model, config), config)
    return make_plan(model, opts, capabilities=caps, config=config)


def generate(
    model: Model | str | Path,
    target: str | Path | URL | Target,
    *,
    options: GenerateOptions | None = None,
    plan: Plan | None = None,
    source: str | URL | None = None,
    config: Config | None = None,
    progress: Progress | None = None,
    **keywords: Any,
) -> GenerateResult:
    """Generate synthetic rows from ``model`` into ``target`` (a URL, a directory, or a Target).

    The options (:class:`~dbsynth.options.GenerateOptions`: ``scale``, ``rows``, ``seed``,
    ``create_schema``, ``if_exists``, ``chunk_rows``, ``dry_run``, ``file_format``) come as
    ``options=`` or as keywords; keywords win. ``plan`` is a plan from :func:`plan` to run as it
    is (then the options the plan fixes, and ``config``, cannot be given as well). ``source`` is
    the database the model came from, when known: a target that is the source is refused, and
    tables copied verbatim (the config's, and reference tables the fit found) are read from it;
    without it, reference tables are generated from their models. ``config`` adds per-table
    ``rows``/``scale`` and a default ``seed`` (options win), and its column settings
    (generators, ``null_rate``) replace the model's (:func:`dbsynth.config.apply_config`:
    settings only a fit can apply are refused when the model lacks them). With ``dry_run`` the
    plan is returned and nothing is opened or written.
    """
    opts = resolve(GenerateOptions, options, keywords, where="generate()")
    model = load_model(model)
    if source is None:
        # Reference tables the fit chose to copy are generated from their models without the
        # source; tables the config copies still need it (the engine says so).
        model = without_reference_copies(model)
    if config is not None and plan is None:
        model = config_children(apply_config(model, config), config)
    tgt = _target(target, source, opts.file_format)
    if plan is None:
        plan = make_plan(model, opts, capabilities=capabilities(tgt), config=config)
    else:
        _check_given_plan(plan, model, tgt, opts, keywords, config)
    if opts.dry_run:
        return GenerateResult(plan=plan, load=None)
    url = getattr(tgt, "url", None)
    if source is None and isinstance(url, URL):
        refuse_recorded_source(url, model.source, model.source_identity)
    return _run(model, plan, tgt, source, progress, effective_jobs(opts.jobs))


def _target(
    target: str | Path | URL | Target, source: str | URL | None, file_format: FileFormat | None
) -> Target:
    """The Target object for what the user named (constructing it opens nothing)."""
    if not isinstance(target, str | Path | URL):
        return target
    return open_target(str(target), source=None if source is None else str(source), file_format=file_format)


def capabilities(target: Target) -> Capabilities:
    """What the plan needs to know about ``target``: whether it can UPDATE (files cannot)."""
    return Capabilities(updates=bool(getattr(target, "supports_updates", True)))


def _check_given_plan(
    plan: Plan,
    model: Model,
    target: Target,
    options: GenerateOptions,
    keywords: Mapping[str, Any],
    config: Config | None,
) -> None:
    """A plan passed in runs as it is: refuse what it would silently ignore or cannot do."""
    given = [n for n, v in options.planned().items() if n in keywords or v != default_of(GenerateOptions, n)]
    if given or config is not None:
        what = ", ".join(given) if given else "config"
        raise UsageError(
            f"generate(): the plan already fixes {what}; pass it to dbsynth.plan() instead of with plan="
        )
    for t in plan.tables:
        table = model.schema.table(t.table)
        columns = tuple(c.name for c in table.columns if c.generated is None)
        if columns != t.columns:
            raise UsageError(f"the plan does not fit this model: table {t.table} has other columns")
    problem = plan.fits(capabilities(target))
    if problem:
        raise UsageError(
            f"{problem} ({target.describe()}); make the plan for this target: dbsynth.plan(model, target)"
        )


def _run(
    model: Model,
    plan: Plan,
    target: Target,
    source: str | URL | None,
    progress: Progress | None,
    jobs: int = 1,
) -> GenerateResult:
    """Execute ``plan``: generate in a worker thread (``jobs`` 1) or in a second process
    (:mod:`dbsynth.parallel`), write here, close (commit or roll back)."""
    started = time.perf_counter()
    sink = target.open(plan.load_spec(model))
    written: dict[str, int] = {t.table: 0 for t in plan.tables}
    planned = {t.table: t.rows for t in plan.tables}
    try:
        key_start = disjoint_key_starts(plan, model.schema, sink.key_start)

        def run() -> Iterator[Batch | Update]:
            return Generator(model, plan, key_start, source=source).run()

        items: Iterator[Item] = (
            generated_elsewhere(run, getattr(sink, "encode", None)) if jobs > 1 else _overlapped(run())
        )
        try:
            for item in items:
                sink.write(item)
                if not isinstance(item, Update):
                    written[item.table] += item.rows if isinstance(item, Encoded) else len(item.frame)
                    if progress is not None:
                        progress(item.table, written[item.table], planned[item.table])
        finally:
            # Stop the producer (thread or process) now, not when the traceback lets it go.
            typing.cast(Generator_[Item], items).close()
        load = sink.close(ok=True)
    except BaseException as exc:
        result = sink.close(ok=False)  # after a failed close(ok=True): what that close left
        raise _failed(exc, result) from (None if isinstance(exc, DbsynthError | KeyboardInterrupt) else exc)
    return GenerateResult(plan=plan, load=load, seconds=time.perf_counter() - started, rows=written)


def _failed(exc: BaseException, result: LoadResult) -> BaseException:
    """The error to raise after a failed load: ``exc`` and what the target kept, in the words
    of the sink (the last note of a load that did not commit), unless ``exc`` says it already.
    An interrupt stays an interrupt of the same type, carrying only what the target kept."""
    if result.committed:  # interrupted after COMMIT, while the sink tidied up
        kept = "the load was committed"
    else:
        kept = result.notes[-1] if result.notes else "nothing was written"
    if isinstance(exc, DbsynthError) and str(exc).endswith(kept):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return type(exc)(kept)
    if isinstance(exc, DbsynthError):
        return type(exc)(f"{exc}; {kept}")
    return GenerationError(f"generation failed: {type(exc).__name__}: {exc}; {kept}")


def _overlapped(items: Iterator[T]) -> Iterator[T]:
    """Run the ``items`` iterator in a worker thread, ``QUEUE_BATCHES`` ahead of the consumer."""
    q: queue.Queue[object] = queue.Queue(maxsize=QUEUE_BATCHES)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(_Raised(exc))

    worker = threading.Thread(target=produce, name="dbsynth-generate", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield typing.cast(T, item)  # anything else on the queue came from ``items``
    finally:
        stop.set()
        worker.join(timeout=5)


@dataclass(frozen=True)
class _Raised:
    exc: BaseException


@dataclass(frozen=True)
class CloneResult:
    model: Model
    generated: GenerateResult


def _reachable(url: URL) -> None:
    """Connect to a database target once, read-only (a SQLite file is created by the run)."""
    if backend(url) in ("postgresql", "mysql"):
        with connect(url, read_only=True):
            pass


def _known_rows(schema: Schema, rows: Mapping[str, int] | None) -> None:
    for name in rows or {}:
        if name != ALL_ROOTS:
            try:
                schema.table(name)
            except DbsynthError as exc:
                raise UsageError(f"--rows {name}: {exc}") from None


def clone(
    source: str | URL,
    target: str | Path | URL | Target,
    *,
    fit_options: FitOptions | None = None,
    generate_options: GenerateOptions | None = None,
    model_path: str | Path | None = None,
    config: Config | None = None,
    progress: Progress | None = None,
    **keywords: Any,
) -> CloneResult:
    """Fit ``source`` and generate into ``target`` in one go (the model can be kept at
    ``model_path``). Takes every option of :func:`fit` and :func:`generate`, as option objects
    or keywords; a keyword both have (``seed``) goes to both."""
    fit_keywords, generate_keywords = split(keywords, FitOptions, GenerateOptions, where="clone()")
    fit_opts = resolve(FitOptions, fit_options, fit_keywords, where="clone()")
    generate_opts = resolve(GenerateOptions, generate_options, generate_keywords, where="clone()")
    if isinstance(target, str | URL):
        with contextlib.suppress(UnsupportedDatabase):  # a directory of files is never the source
            refuse_source(parse_url(target), source)
            _reachable(parse_url(target))
    # What the run would refuse after a long fit is refused before it: a --rows table the
    # source does not have, a target server that does not answer.
    schema = introspect(source, fit_opts.schemas)
    _known_rows(schema, generate_opts.rows)
    model = fit(source, options=fit_opts, schema=schema, config=config)
    if model_path is not None:
        model.save(model_path)
    result = generate(model, target, options=generate_opts, source=source, config=config, progress=progress)
    return CloneResult(model=model, generated=result)
