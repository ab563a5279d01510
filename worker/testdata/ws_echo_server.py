# A WebSocket echo server of Debian's python3-websockets, for the
# framework's WebSocket client tests: it prints its port, greets each
# client with the X-Token header it sent and the subprotocol chosen,
# echoes every message, and closes with 4001 when told "bye".
import asyncio
import sys

import websockets


async def echo(ws, path=None):
    await ws.send("hello %s %s %s" % (ws.request_headers.get("X-Token", "-"), ws.subprotocol, path or ws.path))
    async for m in ws:
        if m == "bye":
            await ws.close(4001, "bye to you")
            return
        await ws.send(m)


async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, subprotocols=["chat"], max_size=4 << 20) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
