"""User-specified generators (``generator:`` in ``dbsynth.yaml``) as registered column models.

Importing this package registers the built-ins: ``choice``, ``constant``, ``range``,
``sequence`` (:mod:`.simple`), ``regex`` (:mod:`.regex`), ``faker`` (:mod:`.providers`) and
``expression`` (:mod:`.expression`). A plugin registers its own with
:func:`register_generator` the same way; :mod:`.base` states what a generator must provide.
:func:`choose_with_pii` is the model choice for a column whose personal-data detection the
config corrects (``pii: true|false|<kind>``).
"""

from dbsynth.columns.generators import expression, providers, regex, simple  # noqa: F401  (registers)
from dbsynth.columns.generators.base import (
    KIND_PREFIX,
    GeneratorModel,
    Param,
    ParamProblems,
    generator,
    generators,
    register_generator,
)
from dbsynth.columns.generators.expression import ExpressionGenerator
from dbsynth.columns.generators.pii import choose_with_pii
from dbsynth.columns.generators.providers import FakerGenerator
from dbsynth.columns.generators.regex import RegexGenerator
from dbsynth.columns.generators.simple import (
    ChoiceGenerator,
    ConstantGenerator,
    RangeGenerator,
    SequenceGenerator,
)

__all__ = [
    "KIND_PREFIX",
    "ChoiceGenerator",
    "ConstantGenerator",
    "ExpressionGenerator",
    "FakerGenerator",
    "GeneratorModel",
    "Param",
    "ParamProblems",
    "RangeGenerator",
    "RegexGenerator",
    "SequenceGenerator",
    "choose_with_pii",
    "generator",
    "generators",
    "register_generator",
]
