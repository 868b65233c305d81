"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for the tests, run in a thread.

It answers ``POST /v1/chat/completions`` from a responder (a function of the
request that returns a :class:`Scripted` reply: a status, a reply text,
headers, a delay, or a body that is not JSON), ``POST /v1/files`` and
``POST /v1/fine_tuning/jobs``, and logs every request it receives
(:attr:`FixtureServer.requests`), before answering. Nothing leaves the
machine: it binds to 127.0.0.1 on a free port.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    """One reply: ``content`` is the model's text (None: no content); ``raw_body`` replaces the JSON body."""

    status: int = 200
    content: str | None = "[1]"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    error: str | None = None
    raw_body: bytes | None = None
    finish_reason: str = "stop"
    usage: dict[str, int] | None = field(default_factory=lambda: {"prompt_tokens": 100, "completion_tokens": 10})


@dataclass
class Request:
    """One logged request."""

    index: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    time: float

    @property
    def tag(self) -> str:
        return self.headers.get("x-simval-request", "")

    @property
    def who(self) -> str:
        """The keyed hash of the participant (first part of the request tag)."""
        return self.tag.split(".")[0]

    @property
    def turn(self) -> int:
        parts = self.tag.split(".")
        return int(parts[1]) if len(parts) > 1 else 0

    @property
    def attempt(self) -> int:
        parts = self.tag.split(".")
        return int(parts[2]) if len(parts) > 2 else 0


def good_reply(request: Request) -> Scripted:
    """A well-formed answer that varies with the participant (deterministic in the request tag)."""
    seed = int(hashlib.sha256(request.who.encode()).hexdigest()[:8], 16)
    if request.turn <= 1:
        return Scripted(content=f"[{1 + seed % 2}]")
    t1 = (seed % 9) * 10
    t2 = ((seed // 9) % (10 - seed % 9)) * 10
    both = 100 - t1 - t2
    decision = 1 + (seed // 97) % 3
    return Scripted(content=f"[{t1}, {t2}, {both}], [the costs, the announcement], [{decision}], [I weighed the odds]")


Responder = Callable[[Request], Scripted]


class FixtureServer:
    """``with FixtureServer(responder) as server:`` serves at ``server.url`` until the block ends."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        on_request: Callable[[Request], None] | None = None,
        job_error: tuple[int, str] | None = None,
    ) -> None:
        self.responder = responder or good_reply
        self.on_request = on_request
        self.job_error = job_error
        self.requests: list[Request] = []
        self.files: dict[str, bytes] = {}
        self.jobs: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def chat_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _log(self, request: Request) -> Request:
        with self._lock:
            request.index = len(self.requests)
            self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)
        return request

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and the
                # client's delayed ACK add 40 ms to every response.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                body: Any = None
                if headers.get("content-type", "").startswith("application/json"):
                    body = json.loads(raw or b"null")
                request = server._log(Request(0, "POST", self.path, headers, body, raw, time.time()))
                try:
                    if self.path.endswith("/chat/completions"):
                        self._chat(request)
                    elif self.path.endswith("/files"):
                        self._file(request)
                    elif self.path.endswith("/fine_tuning/jobs"):
                        self._job(request)
                    else:
                        self._send(404, {"error": {"message": f"no route {self.path}"}})
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

            def _chat(self, request: Request) -> None:
                reply = server.responder(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.raw_body is not None:
                    self._send(reply.status, None, reply.headers, raw=reply.raw_body)
                    return
                if reply.status != 200:
                    message = reply.error or f"scripted HTTP {reply.status}"
                    self._send(reply.status, {"error": {"message": message, "type": "scripted"}}, reply.headers)
                    return
                payload = {
                    "id": f"chatcmpl-{request.index}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": (request.body or {}).get("model", "fixture"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.content},
                            "finish_reason": reply.finish_reason,
                        }
                    ],
                }
                if reply.usage is not None:
                    payload["usage"] = {**reply.usage, "total_tokens": sum(reply.usage.values())}
                self._send(200, payload, reply.headers)

            def _file(self, request: Request) -> None:
                message = BytesParser(policy=HTTP).parsebytes(
                    f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode() + request.raw
                )
                content = b""
                purpose = ""
                filename = ""
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if name == "file":
                        content = part.get_payload(decode=True) or b""
                        filename = part.get_filename() or ""
                    elif name == "purpose":
                        purpose = (part.get_payload(decode=True) or b"").decode()
                file_id = f"file-{len(server.files) + 1}"
                server.files[file_id] = content
                self._send(200, {
                    "id": file_id, "object": "file", "bytes": len(content), "created_at": 0,
                    "filename": filename, "purpose": purpose, "status": "processed",
                })

            def _job(self, request: Request) -> None:
                if server.job_error is not None:
                    status, message = server.job_error
                    self._send(status, {"error": {"message": message, "type": "scripted"}})
                    return
                body = request.body or {}
                job = {
                    "id": f"ftjob-{len(server.jobs) + 1}", "object": "fine_tuning.job", "created_at": 0,
                    "model": body.get("model"), "training_file": body.get("training_file"),
                    "status": "queued", "hyperparameters": body.get("hyperparameters") or {},
                    "organization_id": "org-fixture", "result_files": [], "seed": body.get("seed") or 0,
                    "fine_tuned_model": None, "finished_at": None, "error": None, "trained_tokens": None,
                    "validation_file": body.get("validation_file"),
                }
                server.jobs.append({**job, "request": body})
                self._send(200, job)

        return Handler
