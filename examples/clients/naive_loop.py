"""A poll loop written the way many are: it knows the statuses it has seen in a happy demo.

It submits tool outputs when asked and stops on 'completed', 'failed' and 'cancelled'.
It forgets 'incomplete' and 'expired', so against the real API it polls forever when a
run runs out of tokens or passes its deadline.  ``runfsm check
examples/clients/naive_loop.py:main`` shows exactly which behaviours it mishandles.
"""

import time


def main(client, assistant_id, thread_id):
    run = client.beta.threads.runs.create(thread_id=thread_id, assistant_id=assistant_id)
    while True:
        run = client.beta.threads.runs.retrieve(thread_id=thread_id, run_id=run.id)
        if run.status in ("completed", "failed", "cancelled"):
            return run.status
        if run.status == "requires_action":
            calls = run.required_action.submit_tool_outputs.tool_calls
            outputs = [{"tool_call_id": call.id, "output": "sunny"} for call in calls]
            client.beta.threads.runs.submit_tool_outputs(thread_id=thread_id, run_id=run.id, tool_outputs=outputs)
        time.sleep(1)


async def main_async(client, assistant_id, thread_id):
    """The same loop, async."""
    import asyncio

    run = await client.beta.threads.runs.create(thread_id=thread_id, assistant_id=assistant_id)
    while True:
        run = await client.beta.threads.runs.retrieve(thread_id=thread_id, run_id=run.id)
        if run.status in ("completed", "failed", "cancelled"):
            return run.status
        if run.status == "requires_action":
            calls = run.required_action.submit_tool_outputs.tool_calls
            outputs = [{"tool_call_id": call.id, "output": "sunny"} for call in calls]
            await client.beta.threads.runs.submit_tool_outputs(thread_id=thread_id, run_id=run.id, tool_outputs=outputs)
        await asyncio.sleep(1)
