"""What a handler of the compiler may use: the :class:`Compiling` protocol.

The compiler (``dbsynth.expr.compile``) dispatches each sqlglot node type to a handler, a
function ``(compiler, node) -> Node``; the handlers of arithmetic, functions, conditional
expressions and patterns live in modules of their own and see the compiler only through this
protocol, so they do not import the module that imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
from sqlglot import exp

from dbsynth.expr.dialects import DialectRules
from dbsynth.expr.values import Kind, KindError, Node, Vec


class Compiling(Protocol):
    @property
    def rules(self) -> DialectRules: ...

    @property
    def now(self) -> np.datetime64 | None: ...

    @property
    def padded(self) -> Mapping[str, int | None]: ...

    def compile(self, e: exp.Expression) -> Node: ...

    def condition(
        self, e: exp.Expression, owner: exp.Expression | None = None, need: str = "needs a condition"
    ) -> Node: ...

    def as_conditions(
        self, owner: exp.Expression, operands: list[exp.Expression], nodes: list[Node], need: str
    ) -> list[Node]: ...

    def const(self, kind: Kind, value: Any, months: int = 0) -> Node: ...

    def cast(self, node: Node, target: Kind, length: int | None = None) -> Node: ...

    def describe(self, e: exp.Expression) -> str: ...

    def kind_error(self, owner: exp.Expression, need: str | None, got: list[Kind]) -> KindError: ...

    def map(self, kind: Kind, f: Callable[[Vec], Vec], node: Node) -> Node: ...

    def text(self, e: exp.Expression) -> Node: ...

    def constant_text(self, e: exp.Expression, what: str) -> str | None: ...

    def numeric(self, e: exp.Expression, owner: exp.Expression) -> Node: ...

    def signed(self, e: exp.Expression, owner: exp.Expression) -> Node: ...

    def unify(self, nodes: list[Node], owner: exp.Expression) -> tuple[Kind, list[Node]]: ...

    def compare(self, op: str, a: Node, b: Node, owner: exp.Expression) -> Node: ...


Handler = Callable[[Compiling, Any], Node]
