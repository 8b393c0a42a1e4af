"""How faithful, how valid and how private a synthetic database is, measured against its source.

    from dbsynth.report import build_report
    report = build_report("postgresql://readonly@prod/shop", "postgresql://localhost/shop_qa")
    print(report.score, report.validity.status, report.privacy.verdict)
    open("report.json", "w").write(report.to_json())
    open("report.html", "w").write(render_html(report))

Modules: ``columns`` (what each column is), ``metrics`` (the formulas), ``fidelity`` (scores
per table and across FKs), ``cardinality`` (children per parent, SQL), ``validity`` (SQL
checks in the target), ``privacy`` (copies, distances, leaks), ``overlap`` (schema
differences), ``plots`` and ``html`` (the page), ``build`` (the pipeline), ``result`` (the
report as data).
"""

from dbsynth.report.build import build_report, fidelity_of_frames
from dbsynth.report.html import render_html
from dbsynth.report.result import Report

__all__ = ["Report", "build_report", "fidelity_of_frames", "render_html"]
