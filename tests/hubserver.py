"""A small Hugging Face Hub stand-in on 127.0.0.1 that records every request.

It speaks the parts of the Hub API that huggingface_hub 2.x calls on its upload paths: repo
create / info, preupload (every file is answered "regular", so content travels base64-encoded
inside the commit and no LFS / Xet transfer is needed), commit (NDJSON), validate-yaml, tree
listing, discussions / pull requests, tags, and the legacy LFS batch + PUT + verify protocol (used
when Xet is disabled). Anything else is answered 404 and recorded all the same.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

COMMIT_OID = "c0ffee" + "0" * 34
LFS_THRESHOLD = 10 * 1024 * 1024  # files above this are answered "lfs" by preupload


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # URL path, unquoted
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.splitlines() if line.strip()]


@dataclass
class Commit:
    """A commit the server received: header and the files it carried, decoded."""

    repo: str
    revision: str
    summary: str
    description: str
    files: dict[str, bytes] = field(default_factory=dict)  # regular files: path -> content
    lfs_files: dict[str, str] = field(default_factory=dict)  # path -> sha256
    deleted: list[str] = field(default_factory=list)


class HubServer:
    """Start with `with HubServer() as hub:`; `hub.endpoint` is the base URL."""

    def __init__(self, lfs_threshold: int = LFS_THRESHOLD) -> None:
        self.requests: list[Request] = []
        self.lfs_objects: dict[str, bytes] = {}  # sha256 -> content received over legacy LFS
        self.lfs_threshold = lfs_threshold
        self.yaml_errors: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="hubserver", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HubServer:  # noqa: PYI034 - Self needs Python 3.11
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- what the tests look at ------------------------------------------------------------

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def paths(self) -> list[str]:
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests]

    def content_requests(self) -> list[Request]:
        """Requests that carry repository content or user text (everything but reads)."""
        with self._lock:
            return [r for r in self.requests if r.method not in ("GET", "HEAD") and not r.path.endswith("/repos/create")]

    def commits(self) -> list[Commit]:
        with self._lock:
            requests = list(self.requests)
        commits = []
        for r in requests:
            route = _commit_route(r.path)
            if r.method != "POST" or route is None:
                continue
            repo, revision = route
            lines = r.ndjson()
            header = next(item["value"] for item in lines if item["key"] == "header")
            commit = Commit(repo, revision, header.get("summary", ""), header.get("description", ""))
            for item in lines:
                value = item["value"]
                if item["key"] == "file":
                    commit.files[value["path"]] = base64.b64decode(value["content"])
                elif item["key"] == "lfsFile":
                    commit.lfs_files[value["path"]] = value["oid"]
                elif item["key"] in ("deletedFile", "deletedFolder"):
                    commit.deleted.append(value["path"])
            commits.append(commit)
        return commits

    def received(self, path_in_repo: str) -> bytes:
        """The bytes the last commit carried for this path (regular or LFS)."""
        commit = self.commits()[-1]
        if path_in_repo in commit.files:
            return commit.files[path_in_repo]
        return self.lfs_objects[commit.lfs_files[path_in_repo]]


def _commit_route(path: str) -> tuple[str, str] | None:
    # /api/{type}s/{ns}/{name}/commit/{revision}
    parts = path.split("/")
    if len(parts) >= 7 and parts[1] == "api" and parts[5] == "commit":
        return f"{parts[3]}/{parts[4]}", "/".join(parts[6:])
    return None


def _make_handler(hub: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return bytes(data)
                    data += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            split = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=unquote(split.path),
                query=parse_qs(split.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self._body(),
            )
            hub.record(request)
            status, payload, extra = _route(hub, request)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = _handle

    return Handler


def _repo_from(parts: list[str], start: int) -> str:
    return f"{parts[start]}/{parts[start + 1]}"


def _route(hub: HubServer, r: Request) -> tuple[int, Any, dict[str, str]]:
    parts = r.path.split("/")
    base = hub.endpoint
    # POST /api/repos/create
    if r.path == "/api/repos/create" and r.method == "POST":
        body = r.json()
        repo_type = body.get("type") or "model"
        name = f"{body.get('organization') or 'user'}/{body['name']}"
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        return 200, {"url": f"{base}/{prefix}{name}", "name": name, "id": name}, {}
    # POST /api/validate-yaml
    if r.path == "/api/validate-yaml":
        if hub.yaml_errors:
            return 400, {"errors": [{"message": m} for m in hub.yaml_errors], "warnings": []}, {}
        return 200, {"errors": [], "warnings": []}, {}
    if len(parts) >= 5 and parts[1] == "api" and parts[2] in ("models", "datasets", "spaces"):
        repo = _repo_from(parts, 3)
        action = parts[5] if len(parts) > 5 else ""
        if action == "preupload" and r.method == "POST":
            files = [
                {
                    "path": f["path"],
                    "uploadMode": "lfs" if f["size"] > hub.lfs_threshold else "regular",
                    "shouldIgnore": False,
                    "oid": None,
                }
                for f in r.json()["files"]
            ]
            return 200, {"files": files}, {}
        if action == "commit" and r.method == "POST":
            prefix = "" if parts[2] == "models" else f"{parts[2]}/"
            pr = "create_pr" in r.query
            return 200, {
                "commitUrl": f"{base}/{prefix}{repo}/commit/{COMMIT_OID}",
                "commitOid": COMMIT_OID,
                "pullRequestUrl": f"{base}/{prefix}{repo}/discussions/1" if pr else None,
            }, {}
        if action == "discussions" and r.method == "POST" and len(parts) == 6:
            return 200, {"num": 1, "url": f"{base}/{repo}/discussions/1"}, {}
        if action == "discussions" and r.method == "GET" and len(parts) == 7:
            return 200, _discussion(repo, parts[2][:-1]), {}
        if action == "tag" and r.method == "POST":
            return 200, {}, {}
        if action in ("tree", "paths-info"):
            return 200, [], {}
        if r.method == "GET" and action in ("", "revision"):
            return 200, {"id": repo, "sha": COMMIT_OID, "siblings": [], "private": False}, {}
    # legacy LFS: POST /{type-prefix}{repo}.git/info/lfs/objects/batch
    if r.path.endswith(".git/info/lfs/objects/batch") and r.method == "POST":
        objects = []
        for obj in r.json()["objects"]:
            oid = obj["oid"]
            objects.append({
                "oid": oid,
                "size": obj["size"],
                "authenticated": True,
                "actions": {
                    "upload": {"href": f"{base}/_lfs/{oid}"},
                    "verify": {"href": f"{base}/_lfs_verify/{oid}"},
                },
            })
        return 200, {"transfer": "basic", "objects": objects}, {}
    if r.path.startswith("/_lfs/") and r.method == "PUT":
        oid = r.path.rsplit("/", 1)[-1]
        if hashlib.sha256(r.body).hexdigest() != oid:
            return 400, {"error": "sha256 mismatch"}, {}
        hub.lfs_objects[oid] = r.body
        return 200, b"", {}
    if r.path.startswith("/_lfs_verify/") and r.method == "POST":
        return 200, {}, {}
    return 404, {"error": f"hubserver: no route for {r.method} {r.path}"}, {"X-Error-Code": "EntryNotFound"}


def _discussion(repo: str, repo_type: str) -> dict[str, Any]:
    return {
        "num": 1,
        "title": "t",
        "status": "open",
        "author": {"name": "user"},
        "isPullRequest": True,
        "createdAt": "2026-01-01T00:00:00.000Z",
        "repo": {"name": repo, "type": repo_type},
        "events": [],
        "changes": {"base": "refs/heads/main"},
        "filesWithConflicts": [],
        "diff": "",
    }


# --- pointing huggingface_hub at the server ------------------------------------------------------


@contextlib.contextmanager
def serve_hub(home: Path, monkeypatch: Any) -> Iterator[HubServer]:
    """Run a HubServer and point huggingface_hub at it, with nothing else reachable or read.

    huggingface_hub reads HF_ENDPOINT, HF_HOME, HF_HUB_OFFLINE and telemetry settings once, when
    `huggingface_hub.constants` is imported. The environment is set for anything imported later
    (and for subprocesses); the constants of an already-imported huggingface_hub, and the
    endpoint of its module-level HfApi (behind `from huggingface_hub import upload_file`), are
    pointed at the server too. HF_HOME is a fresh folder, so no saved token is ever read.
    """
    home.mkdir(parents=True, exist_ok=True)
    with HubServer() as hub:
        env = {"HF_ENDPOINT": hub.endpoint, "HF_HOME": str(home), "HF_HUB_DISABLE_TELEMETRY": "1",
               "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_HUB_DISABLE_UPDATE_CHECK": "1", "NO_PROXY": "127.0.0.1"}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_DISABLE_XET"):
            monkeypatch.delenv(key, raising=False)
        from huggingface_hub import constants, hf_api

        monkeypatch.setattr(constants, "ENDPOINT", hub.endpoint)
        monkeypatch.setattr(hf_api.api, "endpoint", hub.endpoint)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)
        monkeypatch.setattr(constants, "HF_HOME", str(home))
        monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
        monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
        monkeypatch.setattr(importlib.import_module("huggingface_hub.utils.tqdm"), "HF_HUB_DISABLE_PROGRESS_BARS", True)
        yield hub
