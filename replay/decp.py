"""DECP files, replayed: recorded files served under `/decp/<name>` as data.gouv.fr serves resources.

A resource is a whole file (JSON or CSV) with its Content-Type, Content-Length, an ETag and a
Content-Disposition naming the file; an unknown name is a 404. Faults (429, 5xx, a cut body) come from the
server (replay.server.Fault), like for every other replayed source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from replay.server import ReplayServer, Request, Response

PREFIX = "/decp/"
TYPES = {".json": "application/json; charset=utf-8", ".csv": "text/csv; charset=utf-8"}


class DecpFiles:
    def __init__(self, paths: Iterable[str | Path]):
        self.files: dict[str, bytes] = {}
        for path in paths:
            p = Path(path)
            for f in sorted(p.iterdir()) if p.is_dir() else [p]:
                if f.suffix.lower() in TYPES:
                    self.files[f.name] = f.read_bytes()

    def add(self, name: str, body: bytes) -> None:
        """Publish (or replace) a file, as a source does when it republishes its data."""
        self.files[name] = body

    def endpoint(self, req: Request) -> Response:
        name = req.path[len(PREFIX) :]
        body = self.files.get(name)
        if body is None:
            return Response(404, b'{"message": "Resource not found"}')
        suffix = Path(name).suffix.lower()
        headers = {
            "ETag": '"' + hashlib.sha1(body).hexdigest() + '"',
            "Content-Disposition": f'attachment; filename="{name}"',
        }
        return Response(200, body, content_type=TYPES.get(suffix, "application/octet-stream"), headers=headers)

    def mount(self, server: ReplayServer) -> list[str]:
        """Register the route; returns the URL of every file (what `sources.decp.url` lists)."""
        server.route("GET", PREFIX, self.endpoint)
        return [f"{server.url}{PREFIX}{name}" for name in self.files]
