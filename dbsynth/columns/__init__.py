"""Column models: one module per family of values (numbers, categories, dates and times, text,
structured values, generators from the config), the contract they keep and the registry that
names them (:mod:`dbsynth.columns.base`), and the Gaussian copula that ties a table's columns
together (:mod:`dbsynth.columns.copula`).

Importing this package imports none of them: a model's module is imported when its kind is
first asked for (the registry reads the ``dbsynth.generators`` entry points then), so that
``import dbsynth`` stays light.
"""
