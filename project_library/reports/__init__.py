"""Model reports: figures, tables and one self-contained HTML report per model version.

Pure functions of what training measured on the held-out rows (no Flask, no database, no
storage): ``figures.build_figures``, ``tables``, ``distribution`` (of predictions, for a
prediction run's page and the drift profile) and ``document.render_report``.
"""
