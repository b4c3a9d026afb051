"""A small keep-alive HTTP/1.1 load generator on asyncio: light enough to leave the CPU to the server."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.duration_s if self.duration_s else 0.0


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _client(host: str, port: int, request: bytes, stop_at: float, result: LoadResult) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            result.latencies_ms.append((time.perf_counter() - start) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


def run_load(
    host: str, port: int, path: str, *, cookie: str = "", clients: int = 16, seconds: float = 10
) -> LoadResult:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    result = LoadResult()

    async def main() -> None:
        start = time.perf_counter()
        stop_at = start + seconds
        await asyncio.gather(*(_client(host, port, request, stop_at, result) for _ in range(clients)))
        result.duration_s = time.perf_counter() - start

    asyncio.run(main())
    return result
