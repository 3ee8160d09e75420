"""The params files, the content cache, atomic outputs and the CLI."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ibutils.publish import params, pipeline

from .tinybook import tagged_cell, tiny_book, write_params

ROOT = Path(__file__).resolve().parents[2]

TINY_PARAMS = """\
scale = 2.0
label = "x"
n = 3
fail = False
"""
TINY_CODE = """\
import pandas as pd
from ibutils.publish.pipeline import save_table
if fail:
    raise RuntimeError("asked to fail")
values = [scale * i for i in range(n)]
save_table(pd.DataFrame({"v": values}), "values")
print(label, sum(values))
"""


def make_root(tmp_path: Path) -> Path:
    """A miniature book: one notebook and one params file."""
    return tiny_book(tmp_path, [nbformat.v4.new_markdown_cell("# Tiny"), tagged_cell(TINY_PARAMS, "parameters"), TINY_CODE],
                     {"notebook": "tiny", "parameters": {"n": 4}, "profiles": {"quick": {"n": 2}, "standard": {}, "paper": {"n": 10}}})


# ------------------------------------------------------------------ validation
def test_notebook_defaults_are_parsed(tmp_path):
    root = make_root(tmp_path)
    assert params.notebook_defaults(root / "notebooks" / "tiny.ipynb") == {
        "scale": 2.0, "label": "x", "n": 3, "fail": False}


def test_resolution_order(tmp_path):
    root = make_root(tmp_path)
    p = root / "params" / "tiny.yaml"
    _, _, r = params.resolve(p, "standard", notebooks_dir=root / "notebooks")
    assert r["n"] == 4 and r["scale"] == 2.0
    _, _, r = params.resolve(p, "quick", {"n": 7}, notebooks_dir=root / "notebooks")
    assert r["n"] == 7
    _, _, r = params.resolve(p, "paper", notebooks_dir=root / "notebooks")
    assert r["n"] == 10


@pytest.mark.parametrize("spec, key", [
    ({"notebook": "tiny", "profiles": {"quick": {}, "standard": {}, "paper": {}}, "colour": 1}, "colour"),
    ({"notebook": "nope", "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "notebook"),
    ({"notebook": "tiny", "profiles": {"quick": {}, "standard": {}, "paper": {}, "huge": {}}}, "profiles.huge"),
    ({"notebook": "tiny", "profiles": {"quick": {}, "standard": {}}}, "profiles"),
    ({"notebook": "tiny", "parameters": {"n": "three"},
      "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "parameters"),
    ({"notebook": "tiny", "parameters": {"bins": 3},
      "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "parameters"),
    ({"notebook": "tiny", "profiles": {"quick": {"fail": 1}, "standard": {}, "paper": {}}}, "profiles.quick"),
    ({"notebook": 3, "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "notebook"),
])
def test_invalid_params_name_file_and_key(tmp_path, spec, key):
    root = make_root(tmp_path)
    path = write_params(root, spec, "bad")
    with pytest.raises(params.ParamsError) as err:
        params.resolve(path, "standard", notebooks_dir=root / "notebooks")
    msg = str(err.value)
    assert "bad.yaml" in msg and key in msg and "\n" not in msg


def test_malformed_yaml_and_unknown_profile(tmp_path):
    root = make_root(tmp_path)
    bad = root / "params" / "broken.yaml"
    bad.write_text("notebook: [tiny\n")
    with pytest.raises(params.ParamsError, match="broken.yaml: not valid YAML"):
        params.resolve(bad, "standard", notebooks_dir=root / "notebooks")
    with pytest.raises(params.ParamsError, match="unknown profile 'huge'"):
        params.resolve(root / "params" / "tiny.yaml", "huge", notebooks_dir=root / "notebooks")


def test_cli_rejects_bad_params_with_exit_code_2_and_runs_nothing(tmp_path):
    root = make_root(tmp_path)
    write_params(root, {"notebook": "tiny", "parameters": {"bins": 3},
                        "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "bad")
    proc = subprocess.run([sys.executable, "-m", "ibutils", "run", "params/tiny.yaml", "params/bad.yaml"],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: params/bad.yaml: key 'parameters'")
    assert not (root / "book").exists()  # validated before anything ran, the good one included


def test_cli_override_parsing():
    assert params.parse_override("n=5") == ("n", 5)
    assert params.parse_override("xs=[1, 2]") == ("xs", [1, 2])
    with pytest.raises(params.ParamsError):
        params.parse_override("n5")


# ----------------------------------------------------------- execution, cache
def test_cache_hit_miss_force_and_results(tmp_path):
    root = make_root(tmp_path)
    r1 = pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    assert r1.status == "executed"
    out = root / "book" / "executed" / "tiny.ipynb"
    info = pipeline.read_provenance(out)
    assert info["profile"] == "quick" and info["parameters"]["n"] == 2
    nb = nbformat.read(out, as_version=4)
    assert "How this page was made" in nb.cells[-1].source
    assert (root / "book" / "executed" / "tiny" / "values.csv").read_text().split() == ["v", "0.0", "2.0"]

    assert pipeline.run_setting("params/tiny.yaml", "quick", root=root).status == "cached"
    assert pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3}, root=root).status == "executed"
    assert pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3}, root=root).status == "cached"
    assert pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3}, root=root, force=True).status == "executed"
    # a change to the notebook's code is a miss too
    nb_path = root / "notebooks" / "tiny.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[2].source += "\nprint('changed')"
    nbformat.write(nb, nb_path)
    assert pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3}, root=root).status == "executed"


def test_failed_run_leaves_previous_output_untouched(tmp_path):
    root = make_root(tmp_path)
    pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    out = root / "book" / "executed" / "tiny.ipynb"
    before = out.read_bytes()
    with pytest.raises(pipeline.SettingFailed, match="RuntimeError: asked to fail"):
        pipeline.run_setting("params/tiny.yaml", "quick", {"fail": True}, root=root)
    assert out.read_bytes() == before
    assert (root / "book" / "executed" / "tiny" / "values.csv").exists()
    leftovers = [p.name for p in (root / "book" / "executed").iterdir() if p.name.startswith(".")
                 and p.name != ".failed"]
    assert leftovers == []


def test_atomic_path_removes_temporary_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(ZeroDivisionError):
        with pipeline.atomic_path(target) as tmp:
            tmp.write_text("half")
            1 / 0
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_save_table_only_writes_inside_pipeline(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.delenv("IBUTILS_RESULTS_DIR", raising=False)
    assert pipeline.save_table(pd.DataFrame({"a": [1]}), "t") is None
    monkeypatch.setenv("IBUTILS_RESULTS_DIR", str(tmp_path))
    path = pipeline.save_table(pd.DataFrame({"a": [1]}), "t")
    assert path.read_text().split() == ["a", "1"]


# -------------------------------------------------------------- the real book
def test_every_params_file_of_the_book_is_valid():
    files = pipeline.discover(ROOT)
    assert files, "no params files found"
    for path in files:
        for profile in params.PROFILES:
            params.resolve(ROOT / path, profile, notebooks_dir=ROOT / "notebooks")


def test_toc_lists_every_setting():
    toc = (ROOT / "_toc.yml").read_text()
    for path in pipeline.discover(ROOT):
        assert f"book/executed/{path.stem}" in toc, f"{path} is not in _toc.yml"


def test_wall_times_reads_the_provenance_and_skips_pages_not_run(tmp_path):
    from ibutils.publish.report import wall_times

    root = make_root(tmp_path)
    pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    res = str(root / "book" / "executed")
    t = wall_times(res, ["tiny", "never_run"])
    assert list(t.page) == ["tiny", "total"]
    assert list(t.profile) == ["quick", "quick"]
    assert t.wall_time_s.iloc[0] > 0 and t.wall_time_s.iloc[1] == t.wall_time_s.iloc[0]
    assert wall_times("", ["tiny"]).empty and wall_times(res, ["never_run"]).empty


# ------------------------------------------------ rerunning as users do (issue 21)
def _cli(root, *args, cwd=None, **kw):
    return subprocess.run([sys.executable, "-m", "ibutils", *args], cwd=cwd or root, capture_output=True,
                          text=True, **kw)


def _main(monkeypatch, capsys, cwd, *args):
    """The CLI in this process (commands that execute nothing): (exit code, stdout, stderr)."""
    from ibutils.__main__ import main

    monkeypatch.chdir(cwd)
    try:
        rc = main(list(args))
    except SystemExit as stop:  # --version, -h
        rc = stop.code
    out = capsys.readouterr()
    return rc, out.out, out.err


def _add_summary(root: Path) -> None:
    """A second-stage page that reads tiny's table (like an overview page or the scorecard)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell('path = "book/executed/tiny/values.csv"')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(open(path).read())")]
    nbformat.write(nb, root / "notebooks" / "tiny_summary.ipynb")
    write_params(root, {"notebook": "tiny_summary", "stage": 2, "inputs": ["book/executed/tiny/*.csv"],
                        "profiles": {"quick": {}, "standard": {}, "paper": {}}}, "tiny_summary")


def test_provenance_records_the_overrides_and_the_full_command(tmp_path):
    root = make_root(tmp_path)
    pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3, "label": "a b"}, root=root)
    out = root / "book" / "executed" / "tiny.ipynb"
    info = pipeline.read_provenance(out)
    assert info["overrides"] == {"n": 3, "label": "a b"}
    assert info["command"] == "python -m ibutils run params/tiny.yaml --profile quick -p n=3 -p 'label=a b'"
    assert info["command"] in nbformat.read(out, as_version=4).cells[-1].source
    st = {s.name: s for s in pipeline.status("quick", root=root)}
    assert st["tiny"].reasons == ("params (executed with -p 'label=a b' -p n=3)",)  # metadata keys are sorted


def test_outputs_are_created_with_the_users_umask(tmp_path):
    import os

    root = make_root(tmp_path)
    old = os.umask(0o022)
    try:
        pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    finally:
        os.umask(old)
    executed = root / "book" / "executed"
    assert (executed / "tiny.ipynb").stat().st_mode & 0o777 == 0o644
    assert (executed / "tiny").stat().st_mode & 0o777 == 0o755
    assert (executed / "tiny" / "values.csv").stat().st_mode & 0o777 == 0o644


def test_run_stores_timings_and_estimate_uses_them(tmp_path, monkeypatch, capsys):
    from ibutils.publish import timings

    root = make_root(tmp_path)
    rc, out, _ = _main(monkeypatch, capsys, root, "estimate", "--profile", "quick")
    assert rc == 0 and "tiny" in out and "unknown" in out and "none of the 1 stale settings has run at quick" in out
    r = pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    stored = timings.read(root)["quick"]["tiny"]
    assert stored["seconds"] == round(r.seconds, 1) and stored["cores"] >= 1
    pipeline.run_setting("params/tiny.yaml", "quick", {"n": 3}, root=root)  # overrides: not a stored timing
    assert timings.read(root)["quick"]["tiny"] == stored
    est = pipeline.estimate("quick", root=root)
    assert [(e.name, e.seconds) for e in est] == [("tiny", stored["seconds"])]  # stale again after the override
    rc, out, _ = _main(monkeypatch, capsys, root, "estimate", "--profile", "quick")
    assert out.splitlines()[-1].startswith(f"total: {timings.fmt_seconds(stored['seconds'])} for 1 setting")
    assert timings.fmt_seconds(None) == "unknown" and timings.fmt_seconds(125) == "2 min 5 s"
    assert timings.fmt_seconds(7380) == "2 h 03 min"
    pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    assert "nothing to execute" in _main(monkeypatch, capsys, root, "estimate", "--profile", "quick")[1]


def test_settings_are_handed_to_the_workers_longest_stored_time_first(tmp_path):
    from concurrent.futures import Executor, Future
    from types import SimpleNamespace

    from ibutils.publish import timings

    root = make_root(tmp_path)
    for name in ("a_short", "b_untimed", "c_long", "d_mid"):
        write_params(root, {"notebook": "tiny", "profiles": {"quick": {}, "standard": {}, "paper": {}}}, name)
    for name, seconds in (("a_short", 5.0), ("c_long", 900.0), ("d_mid", 60.0), ("tiny", 60.0)):
        timings.record(root, "quick", name, seconds)
    timings.record(root, "standard", "a_short", 9999.0)  # another profile's timing does not count

    class Recording(Executor):  # runs nothing: records the order in which settings are submitted
        def __init__(self):
            self.order = []

        def submit(self, fn, path, *args, **kwargs):
            self.order.append(Path(path).stem)
            fut = Future()
            fut.set_result(SimpleNamespace(name=Path(path).stem))
            return fut

    ex = Recording()
    paths = [f"params/{n}.yaml" for n in ("a_short", "b_untimed", "c_long", "d_mid", "tiny")]
    reports = pipeline.run_settings(paths, "quick", root=root, executor=ex, progress=False)
    # never timed first (it may be long), then longest first; equal times keep the given (name) order
    assert ex.order == ["b_untimed", "c_long", "d_mid", "tiny", "a_short"]
    assert [r.name for r in reports] == ["a_short", "b_untimed", "c_long", "d_mid", "tiny"]
    assert timings.longest_first(["x", "y"], {"x": {"seconds": "bad"}, "y": {"seconds": 1}}) == ["x", "y"]


def test_run_reexecutes_the_pages_that_read_its_results(tmp_path):
    root = make_root(tmp_path)
    _add_summary(root)
    for name in ("tiny", "tiny_summary"):
        pipeline.run_setting(f"params/{name}.yaml", "quick", root=root)
    assert pipeline.downstream(["params/tiny.yaml"], "quick", root=root) == []
    proc = _cli(root, "run", "params/tiny.yaml", "--profile", "quick", "-p", "n=5", "--no-downstream")
    assert proc.returncode == 0, proc.stderr
    assert "now stale (they read these results): tiny_summary" in proc.stdout
    assert [p.stem for p in pipeline.downstream(["params/tiny.yaml"], "quick", root=root)] == ["tiny_summary"]
    proc = _cli(root, "run", "params/tiny.yaml", "--profile", "quick", "-p", "n=6")
    assert "re-executing the pages that read these results: tiny_summary" in proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("tiny ") and "executed" in lines[0] and lines[-1] == "2 executed, 0 cached (profile quick)"
    summary = pipeline.status("quick", root=root, paths=["params/tiny_summary.yaml"])[0]
    assert summary.state == "cached"  # it read the new table (`status` of all still says `book` reruns both)
    assert "Traceback" not in proc.stderr and "IPKernelApp" not in proc.stderr  # quiet kernels


def test_cli_errors_are_one_line_and_work_from_a_subfolder(tmp_path, monkeypatch, capsys):
    root = make_root(tmp_path)
    outside = tmp_path.parent / f"{tmp_path.name}_outside.yaml"
    outside.write_text((root / "params" / "tiny.yaml").read_text())
    rc, _, err = _main(monkeypatch, capsys, root, "run", str(outside))
    assert rc == 2 and err.startswith("error: ") and "outside the book's repository" in err
    assert len(err.strip().splitlines()) == 1
    sub = root / "notebooks"
    rc, out, _ = _main(monkeypatch, capsys, sub, "list")
    assert rc == 0 and out.split()[:2] == ["params/tiny.yaml", "notebooks/tiny.ipynb"]
    rc, _, err = _main(monkeypatch, capsys, sub, "run", "../params/tiny.yaml", "--profile", "quick", "-p", "nn=3")
    assert rc == 2 and "unknown parameter 'nn'" in err
    rc, _, err = _main(monkeypatch, capsys, tmp_path.parent, "list")
    assert rc == 2 and "run python -m ibutils from the repository root" in err


def test_cli_version_params_and_help(monkeypatch, capsys):
    from ibutils import __version__

    assert _main(monkeypatch, capsys, ROOT, "--version")[1].strip() == f"ibutils {__version__}"
    rc, out, _ = _main(monkeypatch, capsys, ROOT, "-h")
    assert rc == 0 and "``" not in out and "examples:" in out
    book = _main(monkeypatch, capsys, ROOT, "book", "-h")[1]
    assert "default: standard" in book and "--strict" in book and "Sphinx warnings" in book
    out = _main(monkeypatch, capsys, ROOT, "params", "minimal_model")[1].splitlines()
    assert out[0].startswith("params/minimal_model.yaml: notebook notebooks/minimal_model.ipynb")
    n_bins = next(line for line in out if line.startswith("n_bins "))
    assert n_bins.split()[:3] == ["n_bins", "int", "50"] and n_bins.endswith("n_bins >= 2")


def test_progress_counts_code_cells(tmp_path):
    root = make_root(tmp_path)
    progress = tmp_path / "progress.json"
    pipeline.run_setting("params/tiny.yaml", "quick", root=root, progress_file=str(progress))
    p = pipeline.read_progress(progress)
    assert p["done"] == p["total"] == 3  # the parameters, papermill's injected cell, the code


@pytest.fixture
def shutdown_reports(monkeypatch, caplog):
    """Emits the kernel-shutdown reports (nbclient's via papermill's logger, asyncio's) and returns the records that
    got through; the loggers of ``pipeline.SHUTDOWN_LOGGERS`` start enabled and are restored after the test."""
    import logging

    for name in pipeline.SHUTDOWN_LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)

    def emit():
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("papermill").error("Kernel died while waiting for execute reply.")
            logging.getLogger("asyncio").error("Task exception was never retrieved")
        return caplog.records

    return emit


@pytest.mark.parametrize("dies", [False, True])
def test_interrupt_silences_the_kernel_shutdown_reports(tmp_path, monkeypatch, shutdown_reports, dies):
    """After Ctrl-C, the dying kernel's reports (nbclient's "Kernel died" through papermill's logger, asyncio's
    never-retrieved DeadKernelError) stay out of stderr, whenever they come; a kernel that dies after the interrupt
    counts as the interrupt (the race seen in a clean-clone run)."""
    import papermill
    from nbclient.exceptions import DeadKernelError

    monkeypatch.setattr(pipeline, "_interrupts", {"armed": False, "hit": False})

    def interrupted(*args, **kwargs):
        if dies:
            pipeline._interrupts["hit"] = True  # what the worker's SIGINT handler records
            raise DeadKernelError("Kernel died")
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    root = make_root(tmp_path)
    with pytest.raises(pipeline.SettingInterrupted, match="interrupted"):
        pipeline.run_setting("params/tiny.yaml", "quick", root=root)
    assert shutdown_reports() == []


def test_the_workers_sigint_handler_silences_the_shutdown_reports_at_once(monkeypatch, shutdown_reports):
    """Ctrl-C reaches the kernel as well as the worker, and nbclient may log the kernel's death before the
    KeyboardInterrupt is handled (seen in a clean-clone run): the handler silences the reports when the signal comes."""
    monkeypatch.setattr(pipeline, "_interrupts", {"armed": True, "hit": False})
    with pytest.raises(KeyboardInterrupt):
        pipeline._on_sigint(2, None)
    assert shutdown_reports() == []
    pipeline._on_sigint(2, None)  # a second Ctrl-C is ignored


def test_a_dead_kernel_without_an_interrupt_is_a_failure(tmp_path, monkeypatch):
    import papermill
    from nbclient.exceptions import DeadKernelError

    monkeypatch.setattr(pipeline, "_interrupts", {"armed": False, "hit": False})

    def died(*args, **kwargs):
        raise DeadKernelError("Kernel died")

    monkeypatch.setattr(papermill, "execute_notebook", died)
    with pytest.raises(DeadKernelError):
        pipeline.run_setting("params/tiny.yaml", "quick", root=make_root(tmp_path))


def test_ctrl_c_stops_cleanly_and_keeps_the_partial_notebook(tmp_path):
    import os
    import signal
    import time

    root = make_root(tmp_path)
    nb_path = root / "notebooks" / "tiny.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(120)"))
    nbformat.write(nb, nb_path)
    proc = subprocess.Popen([sys.executable, "-m", "ibutils", "run", "params/tiny.yaml", "--profile", "quick"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.time() + 90
        while time.time() < deadline and not list((root / "book" / "executed").glob(".tiny.ipynb.*")):
            time.sleep(0.5)
        time.sleep(4)  # the kernel is in the sleeping cell
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.startswith("interrupted: params/tiny.yaml: interrupted after")
    executed = root / "book" / "executed"
    assert not (executed / "tiny.ipynb").exists() and not (executed / "tiny").exists()
    assert [p.name for p in executed.iterdir()] == [".failed"]  # no temporary file or folder left
    assert (executed / ".failed" / "tiny.ipynb").exists()
