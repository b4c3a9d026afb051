"""The cluster tests run only where a PostgreSQL answers (`.ci/run`'s PostgreSQL pass)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cluster.harness import Cluster, postgres_answers, running_cluster


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/cluster/" in str(item.fspath):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not postgres_answers():
        pytest.skip("the cluster tests need PostgreSQL on 127.0.0.1:5432 (.ci/run runs them when one answers)")
    with running_cluster(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster
