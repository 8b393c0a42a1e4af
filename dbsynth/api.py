"""The Python API: ``fit``, ``generate`` and ``clone``, what the CLI calls and users import.

    model = dbsynth.fit("postgresql://readonly@prod/shop", sample_rows=50_000)
    model.save("shop.model.json")
    result = dbsynth.generate(model, "postgresql://localhost/shop_qa", scale=3, seed=7,
                              create_schema=True)

``generate`` runs the plan's generation in a worker thread and writes in the calling thread, so
numpy work overlaps the database round trips (both release the GIL for most of their time). A
failure or Ctrl-C stops both sides, rolls back what the target can roll back, and the raised
error says what was left behind.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL

from dbsynth.config import Config
from dbsynth.db import parse_url
from dbsynth.errors import DbsynthError, GenerationError, UnsupportedDatabase
from dbsynth.fitting.fit import fit
from dbsynth.generation.engine import Generator
from dbsynth.model import Model
from dbsynth.planning.plan import DEFAULT_CHUNK_ROWS, Plan, make_plan
from dbsynth.writing import open_target
from dbsynth.writing.base import Batch, IfExists, LoadResult, Target
from dbsynth.writing.safety import refuse_source

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


def generate(
    model: Model | str | Path,
    target: str | URL | Target,
    *,
    scale: float = 1.0,
    rows: Mapping[str, int] | None = None,
    seed: int | None = None,
    create_schema: bool = False,
    if_exists: IfExists = "fail",
    dry_run: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    source: str | URL | None = None,
    file_format: str | None = None,
    config: Config | None = None,
    progress: Progress | None = None,
) -> GenerateResult:
    """Generate synthetic rows from ``model`` into ``target`` (a URL, a directory, or a Target).

    ``source`` is the database the model came from, when known: a target that is the source is
    refused, and tables the config copies verbatim are read from it. ``config`` adds per-table
    ``rows``/``scale`` and a default ``seed`` (arguments win). With ``dry_run`` the plan is
    returned and nothing is opened or written.
    """
    model = load_model(model)
    table_scale: dict[str, float] = {}
    if config is not None:
        config_rows, table_scale = _config_counts(config, model)
        rows = {**config_rows, **(rows or {})}
        seed = seed if seed is not None else config.seed
    plan = make_plan(
        model,
        scale=scale,
        rows=rows,
        seed=seed,
        chunk_rows=chunk_rows,
        if_exists=if_exists,
        create_schema=create_schema,
        table_scale=table_scale,
    )
    if dry_run:
        return GenerateResult(plan=plan, load=None)
    tgt = (
        target
        if not isinstance(target, str | URL)
        else open_target(str(target), source=None if source is None else str(source), file_format=file_format)  # type: ignore[arg-type]
    )
    started = time.perf_counter()
    sink = tgt.open(plan.load_spec(model))  # type: ignore[union-attr]
    written: dict[str, int] = {t.table: 0 for t in plan.tables}
    planned = {t.table: t.rows for t in plan.tables}
    try:
        updates = bool(getattr(tgt, "supports_updates", True))
        generator = Generator(model, plan, sink.key_start, updates=updates, source=source)
        for item in _overlapped(generator.run()):
            sink.write(item)
            if isinstance(item, Batch):
                written[item.table] += len(item.frame)
                if progress is not None:
                    progress(item.table, written[item.table], planned[item.table])
    except BaseException as exc:
        result = sink.close(ok=False)
        raise _failed(exc, result) from (None if isinstance(exc, DbsynthError) else exc)
    load = sink.close(ok=True)
    return GenerateResult(plan=plan, load=load, seconds=time.perf_counter() - started, rows=written)


def _config_counts(config: Config, model: Model) -> tuple[dict[str, int], dict[str, float]]:
    """Per-table ``rows`` and ``scale`` of a config, by the model's table keys. The config was
    checked against the live schema at fit time; excluded tables are simply not in the model."""
    rows: dict[str, int] = {}
    scale: dict[str, float] = {}
    for t in config.tables:
        if t.exclude:
            continue
        key = model.schema.table(t.name).key
        if t.rows is not None:
            rows[key] = t.rows
        if t.scale is not None:
            scale[key] = t.scale
    return rows, scale


def _failed(exc: BaseException, result: LoadResult) -> BaseException:
    """The error to raise after a failed load, saying what the target kept (unless the
    writer's own message already says it)."""
    if isinstance(exc, DbsynthError) and ("rolled back" in str(exc) or "left" in str(exc)):
        return exc
    if result.committed or result.left_behind:
        kept = ", ".join(result.left_behind) or "all tables"
        where = f"; these tables were written and kept: {kept}"
    else:
        where = "; the target was rolled back, nothing was written"
    if isinstance(exc, KeyboardInterrupt):
        return KeyboardInterrupt(f"interrupted{where}")
    if isinstance(exc, DbsynthError):
        return type(exc)(f"{exc}{where}")
    return GenerationError(f"generation failed: {type(exc).__name__}: {exc}{where}")


def _overlapped(items):  # type: ignore[no-untyped-def]
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
            yield item
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


def clone(
    source: str | URL,
    target: str | URL | Target,
    *,
    schemas: str | Sequence[str] | None = None,
    tables: Sequence[str] | None = None,
    sample_rows: int | None = None,
    min_count: int | None = None,
    locale: str | None = None,
    scale: float = 1.0,
    rows: Mapping[str, int] | None = None,
    seed: int | None = None,
    create_schema: bool = False,
    if_exists: IfExists = "fail",
    dry_run: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    model_path: str | Path | None = None,
    file_format: str | None = None,
    config: Config | None = None,
    progress: Progress | None = None,
) -> CloneResult:
    """Fit ``source`` and generate into ``target`` in one go (the model can be kept)."""
    if isinstance(target, str | URL):
        with contextlib.suppress(UnsupportedDatabase):  # a directory of files is never the source
            refuse_source(parse_url(target), source)
    model = fit(
        source,
        schemas=schemas,
        tables=tables,
        sample_rows=sample_rows,
        min_count=min_count,
        seed=seed,
        locale=locale,
        config=config,
    )
    if model_path is not None:
        model.save(model_path)
    result = generate(
        model,
        target,
        scale=scale,
        rows=rows,
        seed=seed,
        create_schema=create_schema,
        if_exists=if_exists,
        dry_run=dry_run,
        chunk_rows=chunk_rows,
        source=source,
        file_format=file_format,
        config=config,
        progress=progress,
    )
    return CloneResult(model=model, generated=result)
