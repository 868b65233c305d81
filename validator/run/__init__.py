"""Load, plan, run, assemble: the steps behind ``validator.check``.

:mod:`~validator.run.config` validates the arguments into a frozen
:class:`~validator.run.config.RunConfig`; :mod:`~validator.run.plan` lists the
tasks with their random-stream keys; :mod:`~validator.run.executor` runs them
(the only place that knows about threads; :mod:`~validator.run.distributed` sends the
per-dataset work to a Dask cluster instead); :mod:`~validator.run.assemble` turns
the records into a :class:`~validator.results.CheckResult`.
"""
