"""`prereview evaluate --scheduler`: on a LocalCluster of 2 worker processes (127.0.0.1) the distributed result
equals the in-process one byte for byte; a file that kills its worker (SIGSEGV) becomes an engine crash with its
path while every other file is scored; a restarted driver re-runs nothing that finished."""
from __future__ import annotations

import json
import shutil

import dask
import pytest
from distributed import Client, LocalCluster

from prereview.api.evaluate import evaluate
from prereview.engine.rubric import load_rubric

from helpers import EXAMPLES, rulebook

BATCH = EXAMPLES / "case-files"


@pytest.fixture(scope="module")
def client():
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):  # explicit: a poisoned task dies twice
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as c:
            yield c


def _run(folder, out, **kw):
    lines = []
    rubric = load_rubric("guangdong-231", rulebook())
    summary = evaluate([folder], rubric, rulebook(), out, emit=lines.append, **kw)
    return lines, summary


def test_the_cluster_gives_the_in_process_result_byte_for_byte(tmp_path, client):
    local, _ = _run(BATCH, tmp_path / "local", jobs=0)
    remote, _ = _run(BATCH, tmp_path / "dask", scheduler="unused", dask_options={"client": client, "chunk": 4})
    assert json.dumps(remote, ensure_ascii=False) == json.dumps(local, ensure_ascii=False)
    assert (tmp_path / "dask" / "summary.json").read_bytes() == (tmp_path / "local" / "summary.json").read_bytes()
    assert (tmp_path / "dask" / "results.csv").read_bytes() == (tmp_path / "local" / "results.csv").read_bytes()


def test_a_file_that_kills_its_worker_is_an_engine_crash_and_the_rest_are_scored(tmp_path, client):
    folder = tmp_path / "cases"
    shutil.copytree(BATCH, folder)
    text = (folder / "market-penalty-01.yaml").read_text("utf-8")  # its own content: the store is keyed by sha256
    (folder / "market-penalty-01-poison.yaml").write_text(text.replace("兰州某某商贸有限公司", "兰州某某毒丸有限公司"), "utf-8")
    lines, summary = _run(folder, tmp_path / "out", scheduler="unused",
                          dask_options={"client": client, "chunk": 8, "crash_marker": "poison"})
    crashed = [r for r in lines if r["status"] == "engine-failure"]
    assert [r["path"] for r in crashed] == [str(folder / "market-penalty-01-poison.yaml")]
    assert "规则引擎崩溃" in crashed[0]["problems"][0]["message"]
    n = len(list(folder.glob("*.yaml")))
    assert summary["status"]["scored"] + summary["status"]["engine-failure"] == n == len(lines)
    # a second run: the scored files come from the store (a mark put there survives), only the crashed one is
    # tried again (and crashes again)
    [store] = (tmp_path / "out").glob("store-*.jsonl")
    stored = [json.loads(line) for line in store.read_text("utf-8").splitlines()]
    assert len(stored) == n - 1
    stored[0]["title"] = "（取自存储）"
    store.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in stored), "utf-8")
    lines = [dict(r, title="（取自存储）") if r["path"] == stored[0]["path"] else r for r in lines]
    again, _ = _run(folder, tmp_path / "out", scheduler="unused",
                    dask_options={"client": client, "chunk": 8, "crash_marker": "poison"})
    assert again == lines
