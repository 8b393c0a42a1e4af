"""User-specified generators (``generator:`` in ``dbsynth.yaml``) as registered column models.

The built-ins are ``choice``, ``constant``, ``range``, ``sequence`` (:mod:`.simple`), ``regex``
(:mod:`.regex`), ``faker`` (:mod:`.providers`) and ``expression`` (:mod:`.expression`),
declared as ``dbsynth.generators`` entry points (kind ``generator.<name>``) like a plugin's, and
registered with :func:`register_generator`; :mod:`.base` states what a generator must provide.
The model choice for a column whose personal-data detection the config corrects
(``pii: true|false|<kind>``) is :func:`dbsynth.fitting.choose.choose_with_pii`.
"""

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
    "generator",
    "generators",
    "register_generator",
]
