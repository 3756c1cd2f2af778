"""`prereview evaluate --scheduler`: on a LocalCluster of 2 worker processes (127.0.0.1) the distributed result
equals the in-process one byte for byte; each file's record reaches the store as soon as it is done, so a worker
killed mid-chunk costs only the chunk's unfinished files and a driver killed mid-batch and restarted re-runs
nothing it had stored; a file that kills its worker (SIGSEGV) is an engine crash and one that hangs is timed out,
both with their paths, while every other file is scored."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import dask
import pytest
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin

from prereview.api.evaluate import evaluate
from prereview.api.evaluate_dask import SINGLE_TRIES
from prereview.engine.rubric import load_rubric

from helpers import EXAMPLES, rulebook

BATCH = EXAMPLES / "case-files"


@pytest.fixture(scope="module")
def client():
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):  # explicit: a poisoned task dies twice
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as c:
            yield c


class Hooks(WorkerPlugin):
    """Test only, in every worker (a restarted one too): write each reviewed file's name to `log`; a file whose
    name contains "poison" kills its worker (SIGSEGV), one with "hang" never ends; each review takes `delay` s."""

    def __init__(self, log: str, delay: float = 0.0):
        self.log, self.delay = log, delay

    def setup(self, worker):
        from prereview.engine import batch
        real = self.real = batch.run_review
        log, delay = self.log, self.delay

        def review(loaded, book, as_of=None, calendar=None):
            name = Path(loaded.doc.path).name
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(name + "\n")
            time.sleep(delay)
            if "poison" in name:
                import faulthandler
                faulthandler.disable()  # the dump of the deliberate crash would only add noise
                os.kill(os.getpid(), signal.SIGSEGV)
            if "hang" in name:
                time.sleep(3600)
            return real(loaded, book, as_of, calendar)
        batch.run_review = review

    def teardown(self, worker):
        from prereview.engine import batch
        batch.run_review = self.real


@pytest.fixture
def hooks(client, tmp_path):
    """Installs Hooks on the cluster; returns a function giving the names reviewed so far (in log order)."""
    log = tmp_path / "reviews.log"
    log.touch()

    def install(delay: float = 0.0):
        client.register_plugin(Hooks(str(log), delay), name="test-hooks")
        return lambda: log.read_text("utf-8").split()
    yield install
    client.unregister_worker_plugin("test-hooks")


def _run(folder, out, **kw):
    lines = []
    rubric = load_rubric("guangdong-231", rulebook())
    summary = evaluate([folder], rubric, rulebook(), out, emit=lines.append, **kw)
    return lines, summary


def _copy(src: Path, dst: Path, tag: str) -> None:
    """A file of its own content (the store is keyed by sha256) that a hook recognises by its name."""
    dst.write_text(src.read_text("utf-8") + f"# {tag}\n", "utf-8")


def _stored(out: Path) -> list[dict]:
    [store] = out.glob("store-*.jsonl")
    recs = []
    for line in store.read_text("utf-8").splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            pass  # torn by the kill: the Store skips it too
    return recs


def test_the_cluster_gives_the_in_process_result_byte_for_byte(tmp_path, client):
    local, _ = _run(BATCH, tmp_path / "local", jobs=0)
    remote, _ = _run(BATCH, tmp_path / "dask", scheduler="unused", dask_options={"client": client, "chunk": 4})
    assert json.dumps(remote, ensure_ascii=False) == json.dumps(local, ensure_ascii=False)
    assert (tmp_path / "dask" / "summary.json").read_bytes() == (tmp_path / "local" / "summary.json").read_bytes()
    assert (tmp_path / "dask" / "results.csv").read_bytes() == (tmp_path / "local" / "results.csv").read_bytes()


def test_a_worker_killed_mid_chunk_costs_only_the_unfinished_files_and_the_killer_is_an_engine_crash(
        tmp_path, client, hooks):
    reviewed = hooks()
    folder = tmp_path / "cases"
    shutil.copytree(BATCH, folder)
    _copy(folder / "market-penalty-01.yaml", folder / "market-penalty-01-poison.yaml", "毒丸")
    names = sorted(p.name for p in folder.glob("*.yaml"))
    chunk, at = 6, names.index("market-penalty-01-poison.yaml")
    assert 0 < at % chunk < chunk - 1 < len(names) - at  # files finished before it in its chunk, and after it
    lines, summary = _run(folder, tmp_path / "out", scheduler="unused", dask_options={"client": client, "chunk": chunk})
    crashed = [r for r in lines if r["status"] == "engine-failure"]
    assert [r["path"] for r in crashed] == [str(folder / "market-penalty-01-poison.yaml")]
    assert "规则引擎崩溃" in crashed[0]["problems"][0]["message"]
    assert summary["status"]["scored"] + summary["status"]["engine-failure"] == len(names) == len(lines)
    # every innocent file reviewed once (those finished before the crash were not re-run); the poisoned one in
    # its chunk, then alone SINGLE_TRIES times
    assert Counter(reviewed()) == {n: 1 + SINGLE_TRIES if "poison" in n else 1 for n in names}
    # a second run: the scored files come from the store (a mark put there survives), only the crashed one is
    # tried again (and crashes again)
    [store] = (tmp_path / "out").glob("store-*.jsonl")
    stored = _stored(tmp_path / "out")
    assert len(stored) == len(names) - 1 == len({r["sha256"] for r in stored})
    stored[0]["title"] = "（取自存储）"
    store.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in stored), "utf-8")
    lines = [dict(r, title="（取自存储）") if r["path"] == stored[0]["path"] else r for r in lines]
    before = len(reviewed())
    again, _ = _run(folder, tmp_path / "out", scheduler="unused", dask_options={"client": client, "chunk": chunk})
    assert again == lines
    assert set(reviewed()[before:]) == {"market-penalty-01-poison.yaml"}


def test_a_file_that_hangs_is_timed_out_and_one_that_crashes_is_counted_and_every_other_file_scored(
        tmp_path, client, hooks):
    reviewed = hooks()
    folder = tmp_path / "cases"
    shutil.copytree(BATCH, folder)
    _copy(folder / "market-penalty-01.yaml", folder / "market-penalty-01-poison.yaml", "毒丸")
    _copy(folder / "market-penalty-02.yaml", folder / "market-penalty-02-hang.yaml", "停滞")
    names = sorted(p.name for p in folder.glob("*.yaml"))
    lines, summary = _run(folder, tmp_path / "out", scheduler="unused", timeout=3,
                          dask_options={"client": client, "chunk": 8})
    by_name = {Path(r["path"]).name: r for r in lines}
    assert list(by_name) == names
    hung = by_name.pop("market-penalty-02-hang.yaml")
    assert hung["status"] == "timed-out" and hung["path"] == str(folder / "market-penalty-02-hang.yaml")
    assert "审查超过时间上限 3 秒" in hung["problems"][0]["message"]
    assert by_name.pop("market-penalty-01-poison.yaml")["status"] == "engine-failure"
    assert {r["status"] for r in by_name.values()} == {"scored"}
    status = summary["status"]
    assert status["scored"] + status["engine-failure"] + status["timed-out"] == len(names) == len(lines)
    assert status["timed-out"] == 1 and status["engine-failure"] == 1
    counts = Counter(reviewed())
    assert counts.pop("market-penalty-02-hang.yaml") == 1  # stopped, not tried again in this run
    assert counts.pop("market-penalty-01-poison.yaml") == 1 + SINGLE_TRIES
    assert set(counts.values()) == {1} and len(counts) == len(names) - 2
    assert "market-penalty-02-hang.yaml" not in {Path(r["path"]).name for r in _stored(tmp_path / "out")}


def test_a_driver_killed_mid_batch_and_restarted_re_runs_nothing_it_had_stored(tmp_path, client, hooks):
    reviewed = hooks(delay=0.2)  # slow enough that the kill lands mid-batch
    folder, out = tmp_path / "cases", tmp_path / "out"
    shutil.copytree(BATCH, folder)
    names = sorted(p.name for p in folder.glob("*.yaml"))
    driver = subprocess.Popen(
        [sys.executable, "-c", "import sys; from prereview.api.cli import main; sys.exit(main(sys.argv[1:]))",
         "evaluate", str(folder), "--rubric", "guangdong-231", "--out", str(out),
         "--scheduler", client.scheduler.address], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not (list(out.glob("store-*.jsonl")) and len(_stored(out)) >= 4):
            assert driver.poll() is None, "the driver ended before it could be killed"
            time.sleep(0.05)
        driver.send_signal(signal.SIGKILL)
    finally:
        driver.kill()
        driver.wait()
    stored = {Path(r["path"]).name for r in _stored(out)}
    assert 4 <= len(stored) < len(names)
    # the dead driver's tasks still running in the workers finish (and are not stored): wait for them
    while any(client.run(lambda dask_worker: dask_worker.state.executing_count).values()):
        time.sleep(0.05)
    before = len(reviewed())
    lines, summary = _run(folder, out, scheduler="unused", dask_options={"client": client})
    rerun = reviewed()[before:]
    assert not stored & set(rerun)
    assert sorted(rerun) == sorted(set(names) - stored)  # each unfinished file once
    assert [Path(r["path"]).name for r in lines] == names and summary["status"]["scored"] == len(names)
    assert len(_stored(out)) == len(names)
