"""``tfjs-build report``: a static site describing a project's models, with a live parity check.

:func:`~tfjs_build.report.collect.collect_models` gathers what the build left on disk (no
TensorFlow), :mod:`~tfjs_build.report.timings` measures TF.js per backend,
:mod:`~tfjs_build.report.page` renders ``index.html`` and :mod:`~tfjs_build.report.site` writes it
with its assets.
"""
