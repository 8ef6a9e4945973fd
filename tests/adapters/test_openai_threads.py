"""One simulated client shared by threads: every request gets its own number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from runfsm.openai import AdapterError, client, router_of
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


@pytest.mark.parametrize("after", [0, 250, 1000])
def test_poll_after_ms_is_the_header_every_answer_carries(after: int) -> None:
    oai = client(Simulator(), poll_after_ms=after)
    response = oai.beta.assistants.with_raw_response.create(model="gpt-4o")
    assert response.headers["openai-poll-after-ms"] == str(after)


@pytest.mark.parametrize("after", [-1, 1.5, True, "0"])
def test_a_bad_poll_after_ms_is_refused(after: object) -> None:
    with pytest.raises(AdapterError, match="poll_after_ms must be a whole number of milliseconds"):
        client(Simulator(), poll_after_ms=after)  # type: ignore[arg-type]
