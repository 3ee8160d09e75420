"""Publishing (the book's layer): the params-file schema, the papermill pipeline, what notebooks call
to save and glue results (:mod:`ibutils.publish.page`) and the verdict rule book with the claims
tables and the scorecard (:mod:`ibutils.publish.report`). Imports neither the library nor the studies.
"""
