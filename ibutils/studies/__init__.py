"""Studies (the chapters' layer): one module per notebook family, named like its pages.

``notebooks/<family>_*.ipynb`` has its code in ``ibutils/studies/<family>.py``, its settings in
``params/<family>_*.yaml`` and its tests in ``tests/studies/test_<family>.py``. A study imports the
library and :mod:`ibutils.publish`, never another study (shared protocols live in
:mod:`ibutils.studies._protocols`).
"""
