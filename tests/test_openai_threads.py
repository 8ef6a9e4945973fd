"""One simulated client shared by threads: every request gets its own number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from runfsm.openai import client, router_of
from runfsm.sim import Simulator

pytestmark = [pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning")]


def test_request_ids_stay_unique_when_threads_share_a_client() -> None:
    oai = client(Simulator())
    asst = oai.beta.assistants.create(model="gpt-4o")

    def read(_: int) -> str:
        response = oai.beta.assistants.with_raw_response.retrieve(asst.id)
        return response.headers["x-request-id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(read, range(400)))
    assert len(set(ids)) == 400
    assert router_of(oai).requests == 401
