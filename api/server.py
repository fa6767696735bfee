"""Run the API in a real uvicorn server on a loopback port, in a background thread.

Used by the tests and the load benchmark: the socket is bound by us to ``127.0.0.1:0`` (the OS
picks a free port, no race) and handed to uvicorn; :meth:`LoopbackServer.stop` shuts it down.
Only loopback addresses are accepted.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

from mocaplab.errors import InputError


class LoopbackServer:
    """``with LoopbackServer(app) as srv: httpx.get(srv.url + "/health")``."""

    def __init__(self, app, host: str = "127.0.0.1", log_level: str = "warning",
                 startup_timeout_s: float = 30.0):
        if not ipaddress.ip_address(host).is_loopback:
            raise InputError(f"{host} is not a loopback address")
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.host, self.port = self.sock.getsockname()[:2]
        config = uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False,
                                server_header=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="mocaplab-uvicorn", daemon=True)
        self.startup_timeout_s = startup_timeout_s

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LoopbackServer:
        self.thread.start()
        t0 = time.monotonic()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn stopped during startup")
            if time.monotonic() - t0 > self.startup_timeout_s:
                self.stop()
                raise RuntimeError(f"uvicorn did not start within {self.startup_timeout_s} s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
