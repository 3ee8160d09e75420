"""nbval over the notebooks, on any CPU kind: a cell whose outputs differ from the committed ones is compared
again, exactly, with the outputs recorded for this machine's CPU kind (:mod:`ibutils.publish.cpukind`), when
the committed outputs come from another kind."""
from nbval.plugin import coalesce_streams

from ibutils.publish import cpukind


def _per_kind(cell, exact, kind):
    def compare_outputs(test, ref, skip_compare=None):
        if exact(test, ref, skip_compare):
            return True
        own = cpukind.notebook_kind(cell.parent.nb)
        if own == kind:
            return False
        recorded, why = cpukind.recorded_outputs(cell.path, cell.cell, kind)
        if recorded is not None:
            return exact(test, coalesce_streams(recorded), skip_compare)
        cell.comparison_traceback.append(
            f"The committed outputs come from CPU kind {own} and this machine is {kind}: {why}.")
        return False

    return compare_outputs


def pytest_collection_modifyitems(session, config, items):
    kind = cpukind.cpu_kind()
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.compare_outputs = _per_kind(item, item.compare_outputs, kind)
