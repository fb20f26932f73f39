"""A TCP proxy that slows what the client sends (a slow uplink), so a test can
kill an uploader while its multipart upload is in progress.

    python3 slow_proxy.py TARGET_PORT SECONDS_PER_16KIB

Prints the port it listens on, then forwards until killed.
"""
import asyncio
import sys

TARGET = int(sys.argv[1])
DELAY = float(sys.argv[2])


async def pipe(reader, writer, delay):
    try:
        while data := await reader.read(16384):
            if delay:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def handle(client_reader, client_writer):
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", TARGET)
    await asyncio.gather(
        pipe(client_reader, server_writer, DELAY),
        pipe(server_reader, client_writer, 0),
        return_exceptions=True,
    )


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
