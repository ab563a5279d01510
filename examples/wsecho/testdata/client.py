"""An independent WebSocket client (Debian's python3-websockets) against
the wsecho example: echo of text and binary, a fragmented message, a
client that offers permessage-deflate, and the close handshake's code.
Prints one line per check; exits non-zero on the first failure."""
import asyncio
import sys

import websockets


async def main(uri):
    # The client offers permessage-deflate by default, and the server
    # accepts it: every message below is compressed both ways (the server
    # compresses those of 512 bytes and more).
    async with websockets.connect(uri) as ws:
        print("extensions", [type(e).__name__ for e in ws.extensions])
        await ws.send("héllo")
        got = await ws.recv()
        assert got == "héllo", got
        print("text ok")
        await ws.send(b"\x00\xff\x10")
        got = await ws.recv()
        assert got == b"\x00\xff\x10", got
        print("binary ok")
        await ws.send(["frag", "ment", "é"])  # one message in three frames
        got = await ws.recv()
        assert got == "fragmenté", got
        print("fragments ok")
        big = "x" * 200000
        await ws.send(big)
        got = await ws.recv()
        assert got == big, len(got)
        print("large ok")
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        print("ping ok")
        await ws.close(code=4000, reason="bye")
        print("close", ws.close_code, ws.close_reason)


asyncio.run(asyncio.wait_for(main(sys.argv[1]), 20))
