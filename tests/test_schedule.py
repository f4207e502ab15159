"""Issue 20: a run of several providers sends each rate-limited provider's checks to one worker (schedule.py),
its burst right after them, so the other workers are not held by its budget."""
from __future__ import annotations

from types import SimpleNamespace

from apiconform.paths import project_root, suites_dir
from apiconform.schedule import ProviderScheduling, recorded_clauses, suites_named

HIVE = ["suites/hive/test_auth.py::test_missing_key_401",
        "suites/hive/test_ratelimit.py::test_headers_on_every_answer",
        "suites/hive/test_ratelimit.py::test_one_window_above_the_limit",
        "suites/hive/test_status.py::test_malformed_body_400"]
MITE = ["suites/mite/test_auth.py::test_missing_key_401", "suites/mite/test_status.py::test_unknown_endpoint_404"]
MITWIRKEN = ["suites/mitwirken/test_auth.py::test_missing_key_401",
             "suites/mitwirken/test_ratelimit.py::test_one_window_above_the_limit"]


class Node:
    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.sent: list[list[int]] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.append(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def _config(args: list[str], **options) -> SimpleNamespace:
    values = {"tx": ["3*popen"], "dist": "load", "mode": "live", "cassette_dir": None, **options}
    return SimpleNamespace(args=args, rootpath=project_root(), invocation_params=SimpleNamespace(dir=project_root()),
                           getvalue=values.__getitem__, getoption=values.__getitem__)


def test_the_suites_a_command_line_names():
    assert suites_named(_config([str(suites_dir())])) == {"hive", "mite", "mitwirken", "mstudio"}
    assert suites_named(_config(["suites/hive"])) == {"hive"}
    assert suites_named(_config([HIVE[0], str(suites_dir() / "mite")])) == {"hive", "mite"}
    assert suites_named(_config(["tests/test_schedule.py"])) == set()


def test_a_recording_names_the_clauses_its_check_declared(tmp_path):
    assert "hive.rate.429" in recorded_clauses(project_root() / "cassettes/hive/"
                                               "test_ratelimit__test_one_window_above_the_limit.yaml")
    assert recorded_clauses(tmp_path / "missing.yaml") == []


def test_each_rate_limited_provider_on_one_worker_its_burst_beside_it():
    collection = [*HIVE, *MITE, *MITWIRKEN]
    sched = ProviderScheduling(_config(["suites"]))
    nodes = [Node(f"gw{i}") for i in range(3)]
    for node in nodes:
        sched.add_node(node)
        sched.add_node_collection(node, collection)
    sched.schedule()
    first = [[collection[i] for i in node.sent[0]] for node in nodes]
    # every provider's checks on a worker from the start, the largest first; then the bursts, the one of the
    # provider whose checks end first (the smallest) first, while their checks still run
    assert first == [[HIVE[0], HIVE[1], HIVE[3]], [MITWIRKEN[0]], [MITWIRKEN[1]]]
    # xdist tops up a worker holding at most 2 checks: Hive's burst goes to the worker of Mitwirken's one check
    assert [collection[i] for i in nodes[1].sent[1]] == [HIVE[2]]
    assert [collection[i] for i in nodes[2].sent[1]] == [MITE[0]]  # no rate limit: a unit of its own each
    assert list(sched.workqueue) == [MITE[1]]


def test_one_provider_and_replay_keep_xdist_load():
    from apiconform.schedule import scheduler

    assert scheduler(_config(["suites/hive"]), None) is None
    assert scheduler(_config(["suites"], mode="replay"), None) is None
    assert scheduler(_config(["suites"], dist="loadfile"), None) is None
    assert isinstance(scheduler(_config(["suites"]), SimpleNamespace(loadscopesched=print)), ProviderScheduling)



def test_apiconform_run_gives_a_live_run_of_several_providers_a_worker_each(monkeypatch):
    from apiconform import cli

    monkeypatch.setattr(cli.os, "cpu_count", lambda: 2)
    assert cli._workers("auto", "live", ["hive", "mite", "mitwirken", "mstudio"]) == "4"
    assert cli._workers("auto", "live", ["hive"]) == "auto"
    assert cli._workers("auto", "replay", ["hive", "mite"]) == "auto"  # replay waits for nothing
    assert cli._workers("3", "live", ["hive", "mite", "mitwirken", "mstudio"]) == "3"  # as asked
