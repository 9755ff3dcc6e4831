"""The real MongoDB-wire server for the whole test session, started the way the app starts it."""

import pytest

from entity.db import close_clients
from entity.embedded_server import ensure_server, stop_server


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("embedded-db")
    uri = ensure_server(data_dir, cache_size="512M")
    yield uri
    close_clients()
    stop_server(data_dir)
