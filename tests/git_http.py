"""Git's smart HTTP protocol served by ``git http-backend`` (real git, as a CGI) from inside
a test's BaseHTTPRequestHandler: one request answered."""

from __future__ import annotations

import os
import subprocess
from http.server import BaseHTTPRequestHandler
from pathlib import Path


def answer_with_git(handler: BaseHTTPRequestHandler, project_root: Path, body: bytes) -> None:
    """Run ``git http-backend`` for this request (repositories under ``project_root``) and
    send its answer."""
    path, _, query = handler.path.partition("?")
    cgi = subprocess.run(["git", "http-backend"], input=body, capture_output=True, env={
        "PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(project_root),
        "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path, "QUERY_STRING": query,
        "REQUEST_METHOD": handler.command, "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
        "HTTP_CONTENT_ENCODING": handler.headers.get("Content-Encoding", ""),
        "HTTP_GIT_PROTOCOL": handler.headers.get("Git-Protocol", "")})
    head, _, payload = cgi.stdout.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line)
    handler.send_response(int(headers.pop("Status", "200").split()[0]))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)
