# Source: seed 002, an article introducing the Assistants API (WeChat public account, late 2023,
# API v1 era), sections "Assistant" to "自定义工具": the helper functions and the three demo
# programs code_interpreter(), knownledge_retrieve() and function_calling().  The article prints
# the code one token per line; it is reassembled here token for token, in the article's order,
# with ordinary Python spacing.  Changes, each marked in the code:
#
# - [changed] how the client is built: the harness provides `client` (a runfsm.openai client bound
#   to a simulator) in this module's globals; the article has `client = OpenAI()`.
# - [changed] create_assistants() passes file_ids through extra_body=: `file_ids` was an argument
#   of assistants.create() in API v1, and today's SDK (openai 3.x) rejects the keyword before any
#   request is sent.  The request body is the same as the article's.
# - [reconstructed] `import json`: the article's weather code calls json.dumps / json.loads
#   without showing the import.
# - [reconstructed] function_calling(): the article shows its polling loop separately ("中间这部分
#   代码在下面演示", the middle part is shown below) and it is inserted at that comment.
#
# Not changed, but provided by the harness (the article ran in a notebook where they existed):
# - create_thread() reads a global `file` (the article's knownledge_retrieve() assigns a local
#   one): the harness provides `file`, the uploaded tengxunyun.pdf;
# - create_file("tengxunyun.pdf") opens that file in the working directory: the harness runs
#   the programs in a directory that holds a small tengxunyun.pdf;
# - `from time import sleep`: the harness replaces time.sleep with a function that advances the
#   simulator's clock before this module is run.
#
# The programs are v1-era (tools=[{"type": "retrieval"}], file_ids on assistants and messages),
# so the harness runs them against a simulator created with version="v1".
#
# ruff: noqa
# type: ignore

import json  # [reconstructed] used below, not shown in the article

# [changed] was:
# from openai import OpenAI
#
# client = OpenAI()


def create_assistants(instructions, tools=[], file_ids=[]):
    assistant = client.beta.assistants.create(
        name="Help assistant",
        instructions=instructions,
        tools=tools,
        model="gpt-3.5-turbo-1106",
        extra_body={"file_ids": file_ids},  # [changed] was: file_ids=file_ids,
    )
    return assistant


def create_file(file_path):
    file = client.files.create(file=open(file_path, "rb"), purpose="assistants")
    return file


def create_thread(prompt):
    thread = client.beta.threads.create(
        messages=[
            {
                "role": "user",
                "content": prompt,
                "file_ids": [file.id],
            }
        ]
    )
    return thread


def run_assistant(thread, assistant):
    run = client.beta.threads.runs.create(
        thread_id=thread.id,
        assistant_id=assistant.id,
    )
    return run


def retrieve_run(thread, run):
    run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
    return run


def list_run_steps(thread, run):
    run_steps = client.beta.threads.runs.steps.list(
        thread_id=thread.id,
        run_id=run.id,
    )
    return run_steps


def list_messages(thread):
    thread_messages = client.beta.threads.messages.list(thread_id=thread.id)
    return thread_messages


# --- article section: 代码解释器 ---

from time import sleep


def code_interpreter():
    assistant = create_assistants(
        instructions="你是一个数学导师。写代码来回答数学问题。",
        tools=[{"type": "code_interpreter"}]
    )
    thread = create_thread(prompt="我需要计算这个方程式的解:`3x + 11 = 14`。你能帮我吗?")
    run = run_assistant(thread, assistant)
    while True:
        run = retrieve_run(thread=thread, run=run)
        if run.status == "completed":
            break
        sleep(1)
    messages = list_messages(thread)
    print(messages.data[0].content[0].text.value)
    print(f"messages: {messages.json()}")
    run_steps = list_run_steps(thread=thread, run=run)
    print(f"run_steps: {run_steps.json()}")


# --- article section: 知识检索 ---

def knownledge_retrieve():
    file = create_file("tengxunyun.pdf")
    assistant = create_assistants(
        instructions="你是一个客户支持机器人,请用你的专业知识回答客户的问题。",
        tools=[{"type": "retrieval"}],
        file_ids=[file.id],
    )
    thread = create_thread(prompt="腾讯云云搜是什么")
    run = run_assistant(thread, assistant)
    while True:
        run = retrieve_run(thread=thread, run=run)
        if run.status == "completed":
            break
        sleep(1)
    messages = list_messages(thread)
    print(messages.data[0].content[0].text.value)
    print(f"messages: {messages.json()}")
    run_steps = list_run_steps(thread=thread, run=run)
    print(f"run_steps: {run_steps.json()}")


# --- article section: 自定义工具 ---

tools = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "获取某个地方当前的天气情况",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {
                        "type": "string",
                        "description": "城市名,比如:北京,上海",
                    },
                },
                "required": ["location"],
            },
        },
    }
]


def get_current_weather(location):
    """Get the current weather in a given location"""
    if "北京" in location.lower():
        return json.dumps({"location": location, "temperature": "10°"})
    elif "上海" in location.lower():
        return json.dumps({"location": location, "temperature": "15°"})
    else:
        return json.dumps({"location": location, "temperature": "20°"})


def function_calling():
    assistant = create_assistants(
        instructions="你是一个天气机器人,使用提供的工具来回答问题。",
        tools=tools,
    )
    thread = create_thread(prompt="今天北京、上海和成都的天气怎么样?")
    available_functions = {
        "get_current_weather": get_current_weather,
    }
    run = run_assistant(thread, assistant)
    # 下面是处理 Run 并提交工具的返回结果
    # 中间这部分代码在下面演示
    # [reconstructed] the article's loop, shown separately, inserted here
    while True:
        run = retrieve_run(thread=thread, run=run)
        if run.status == "completed":
            break
        if run.status == "requires_action":
            tool_calls = run.required_action.submit_tool_outputs.tool_calls
            tool_infos = []
            for tool_call in tool_calls:
                function_name = tool_call.function.name
                function_to_call = available_functions[function_name]
                function_args = json.loads(tool_call.function.arguments)
                function_response = function_to_call(
                    location=function_args.get("location"),
                )
                tool_infos.append(
                    {"call_id": tool_call.id, "function_response": function_response}
                )
            submit_tool_outputs(thread=thread, run=run, tool_infos=tool_infos)
        sleep(1)
    # [reconstructed] end of the inserted loop
    messages = list_messages(thread)
    print(messages.data[0].content[0].text.value)
    print(f"messages: {messages}")
    run_steps = list_run_steps(thread=thread, run=run)
    print(f"run_steps: {run_steps}")


def submit_tool_outputs(thread, run, tool_infos):
    tool_outputs = []
    for tool_info in tool_infos:
        tool_outputs.append(
            {
                "tool_call_id": tool_info["call_id"],
                "output": tool_info["function_response"],
            }
        )
    client.beta.threads.runs.submit_tool_outputs(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=tool_outputs,
    )
