"""`kinora serve` composes the API with the Feed's routes and, with --ray, the cluster engine."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")


@pytest.mark.parametrize("shared, status", [(False, 403), (True, 200)])
def test_serve_mounts_the_feed_and_keeps_it_local_until_shared(lib, shared, status):
    from fastapi.testclient import TestClient

    from studio.server.compose import studio_server
    from studio.server.server import ServeOptions

    server = studio_server(lib, ServeOptions(engine_process=False, run_engine=False), share_feed=shared)
    phone = TestClient(server.app, client=("192.168.1.20", 50000))  # a phone on the network, not this machine
    response = phone.get("/feed")
    assert response.status_code == status
    if shared:
        assert response.headers["content-type"].startswith("application/feed+json")
        assert response.json()["version"] == "https://jsonfeed.org/version/1.1"


def test_serve_with_an_unreachable_cluster_stops_with_one_line(tmp_path, capsys):
    from studio.cli import main

    status = main(["--library", str(tmp_path / "library"), "serve", "--port", "0", "--ray", "127.0.0.1:9"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and "127.0.0.1:9 cannot be reached" in err[0]
