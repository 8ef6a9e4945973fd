# Source: seed 000, the tutorial "02 OpenAI Assistants中的线程和Run状态解析" (黄佳), section
# "最简单的状态流转": the program that greets an existing assistant and polls its run with
# poll_run_status().  The code below is the tutorial's, character for character (the page indents
# with non-breaking spaces; here they are plain spaces), except for the lines marked [changed]:
#
# - [changed] how the client is built: the tutorial loads an API key with python-dotenv and calls
#   OpenAI(); here the harness provides `client` (a runfsm.openai client bound to a simulator) in
#   this module's globals before running it.
# - [changed] the assistant id: the tutorial hard-codes the id of an assistant its author created
#   in the Playground and says "你自己的助手ID" (put your own assistant's id here); the harness
#   creates that assistant in the simulator and provides its id as ASSISTANT_ID.
#
# The harness also replaces time.sleep with a function that advances the simulator's clock, so
# the 10-second polling interval costs no wall time.
#
# ruff: noqa
# type: ignore

# 导入OpenAI库,并创建OpenAI客户端
# [changed] was:
# from dotenv import load_dotenv
# load_dotenv()
# from openai import OpenAI
#
# client = OpenAI()

# 检索您之前创建的Assistant
assistant_id = ASSISTANT_ID  # 你自己的助手ID   [changed] was: "asst_aT4hurwd35eSave7qrt2t6eJ"
assistant = client.beta.assistants.retrieve(assistant_id)
print(assistant)

# 创建一个新的Thread
thread = client.beta.threads.create()
print(thread)

# 向Thread添加用户的消息
message = client.beta.threads.messages.create(
    thread_id=thread.id,
    role="user",
    content="你好,请问你能做什么。"
)
print(message)

# 运行Assistant来处理Thread
run = client.beta.threads.runs.create(
    thread_id=thread.id,
    assistant_id=assistant.id
)
print("读取Run的状态", run)

import time
# 定义一个轮询的函数
def poll_run_status(client, thread_id, run_id, interval=10):
    while True:
        run = client.beta.threads.runs.retrieve(thread_id=thread_id, run_id=run_id)
        print(f"Run的轮询信息:\n{run}\n")
        if run.status in ['requires_action', 'completed']:
            return run
        time.sleep(interval)  # 等待后再次检查

# 轮询以检查Run的状态
run = poll_run_status(client, thread.id, run.id)



# 获取Assistant在Thread中的回应
messages = client.beta.threads.messages.list(
    thread_id=thread.id
)
print("全部的message", messages)

# 输出Assistant的最终回应
print('下面打印最终的Assistant回应:')
for message in messages.data:
    if message.role == "assistant":
        print(f"{message.content}\n")
