"""A model file is untrusted input: everything in it is checked when it is loaded.

:func:`check_model_data` runs on the decoded JSON before :class:`~dbsynth.model.Model` is built,
and refuses a broken file with a :class:`~dbsynth.errors.ModelError` naming the bad field:

* SQL text of the schema (types, defaults, CHECK, generation and index expressions, partition
  bounds, sequence names) must each be one thing of the field's kind (:mod:`dbsynth.sqltext`);
  the message names the table, column and field:
  ``model file 'm.json': column public.orders.status: sql_type is not a single SQL type: '...'``.
"""

from __future__ import annotations

from typing import Any

from dbsynth.errors import ModelError, SchemaError
from dbsynth.schema import Schema


def check_model_data(data: dict[str, Any], origin: str) -> None:
    """Refuse a model document (``json.loads`` of a model file) that breaks any rule of the
    module docstring; ``origin`` starts the message (``model file 'm.json'``)."""
    from dbsynth.sqltext import schema_problem  # sqlglot: only when a model is loaded

    try:
        schema = Schema.from_data(data["schema"])
    except SchemaError as exc:
        raise ModelError(f"{origin}: schema: {exc}") from None
    problem = schema_problem(schema)
    if problem:
        raise ModelError(f"{origin}: {problem}")
