"""Publishing (the book's layer): the params-file schema and the parameter constraints checked before a
run and inside the kernel (:mod:`ibutils.publish.params`), the papermill pipeline
(:mod:`ibutils.publish.pipeline`), the stored wall times behind the progress ETA and ``estimate``
(:mod:`ibutils.publish.timings`), what notebooks call to save and glue results
(:mod:`ibutils.publish.page`) and the verdict rule book with the claims tables and the scorecard
(:mod:`ibutils.publish.report`). Imports neither the library nor the studies.
"""
