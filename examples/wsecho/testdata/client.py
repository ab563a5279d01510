"""An independent WebSocket client (Debian's python3-websockets) against
the wsecho example: echo of text and binary, a fragmented message, a
client that offers permessage-deflate, and the close handshake's code.
Prints one line per check; exits non-zero on the first failure.

    client.py ws://HOST:PORT/
    client.py wss://HOST:PORT/ CA.pem   # TLS, trusting the CA in CA.pem alone

Over wss:// it first prints the TLS version Python's ssl module (OpenSSL)
negotiated, after verifying the server's certificate against CA.pem."""
import asyncio
import ssl
import sys

import websockets


async def main(uri, cafile=None):
    tls = None
    if uri.startswith("wss://"):
        assert cafile, "wss:// needs the CA file"
        tls = ssl.create_default_context(cafile=cafile)  # verifies name and chain
    # The client offers permessage-deflate by default, and the server
    # accepts it: every message below is compressed both ways (the server
    # compresses those of 512 bytes and more).
    async with websockets.connect(uri, ssl=tls) as ws:
        if tls:
            print("tls", ws.transport.get_extra_info("ssl_object").version())
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


asyncio.run(asyncio.wait_for(main(*sys.argv[1:3]), 20))
