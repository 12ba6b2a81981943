"""A small Hugging Face Hub stand-in on 127.0.0.1 that records every request.

It speaks the parts of the Hub API that huggingface_hub 2.x (and `datasets` 5.x push_to_hub) call
on their upload paths, answering like the real Hub where it matters:

- repo create / info, tree listing and paths-info (of what earlier commits stored), validate-yaml,
  discussions / pull requests, tags; info, tree and paths-info of a repo that was neither created
  nor committed to: 404 with `X-Error-Code: RepoNotFound`, as the Hub answers;
- preupload: "lfs" for the paths the Hub's default `.gitattributes` sends through Git LFS
  (LFS_PATTERNS: *.parquet, *.arrow, *.safetensors, *.bin, *.pt, *.pkl, *.h5, *.zip, *.gz, …)
  and for files over 10 MB, else "regular" (content travels base64-encoded inside the commit);
- the LFS batch API (transfer "basic"), the PUT it points to (refused unless the body's sha256 is
  the oid) and verify (404 for an object never received);
- commit (NDJSON): refused with 422, like the real Hub, when an lfsFile names an object that was
  never received; a refused commit stores nothing;
- resolve/… of a file no commit stored: 404 with `X-Error-Code: EntryNotFound`, so
  huggingface_hub raises EntryNotFoundError (datasets asks for README.md that way).

Xet: huggingface_hub 2.4 decides on Xet in the client (`_commit_api._upload_files` calls
`_upload_xet_files` whenever `hf_xet` is installed and HF_HUB_DISABLE_XET is unset; it never asks
the server), so no answer of the stand-in can steer it to the basic LFS transfer. The stand-in has
no Xet storage: tests that send LFS files use `serve_hub(..., xet=False)` (the `lfs_hub` fixture),
which sets HF_HUB_DISABLE_XET the way a user without Xet would, and the client then uses the basic
LFS transfer above, as it does against a Hub repo without Xet. Anything else is answered 404 and
recorded all the same.
"""
from __future__ import annotations

import base64
import contextlib
import fnmatch
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

# The patterns of the default .gitattributes the Hub puts in a new repo (models and datasets;
# dataset repos add the audio and image types), matched against the path as git does for a
# pattern without "/" (the file name) or with one (the whole path).
LFS_PATTERNS = (
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
    "*.lz4", "*.mds", "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot",
    "*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors",
    "saved_model/**/*", "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst",
    "*tfevents*", "*.mp3", "*.ogg", "*.wav", "*.jpg", "*.jpeg", "*.png", "*.webp",
)


def lfs_tracked(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(path if "/" in p else name, p) for p in LFS_PATTERNS)


@dataclass
class Request:
    method: str
    path: str  # URL path, unquoted
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0  # the status the stand-in answered with

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
        self.stored: dict[str, dict[str, bytes | str]] = {}  # repo -> path -> content, or LFS sha256
        self.created: set[str] = set()  # repos made by /api/repos/create (empty until a commit)
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
        """The commits the stand-in accepted (a refused one is in `requests` only)."""
        with self._lock:
            requests = list(self.requests)
        return [parse_commit(r) for r in requests
                if r.method == "POST" and _commit_route(r.path) is not None and r.status == 200]

    def lfs_uploads(self) -> list[Request]:
        """LFS PUTs (the requests that carry LFS content)."""
        with self._lock:
            return [r for r in self.requests if r.method == "PUT" and r.path.startswith("/_lfs/")]

    def received(self, path_in_repo: str) -> bytes:
        """The bytes the last commit carried for this path (regular or LFS)."""
        commit = self.commits()[-1]
        if path_in_repo in commit.files:
            return commit.files[path_in_repo]
        return self.lfs_objects[commit.lfs_files[path_in_repo]]


def parse_commit(r: Request) -> Commit:
    repo, revision = _commit_route(r.path) or ("", "")
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
    return commit


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
            request.status = status
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


_NOT_FOUND = {"X-Error-Code": "EntryNotFound"}


def _entry(path: str, value: bytes | str, objects: dict[str, bytes] | None = None) -> dict[str, Any]:
    """A file as the tree / paths-info APIs describe it (an LFS file: the size of its object)."""
    if isinstance(value, str):  # LFS: the sha256 of the object
        size = len((objects or {}).get(value, b""))
        return {"type": "file", "path": path, "oid": hashlib.sha1(value.encode()).hexdigest(), "size": size,
                "lfs": {"oid": value, "size": size, "pointerSize": 134}}
    return {"type": "file", "path": path, "oid": hashlib.sha1(value).hexdigest(), "size": len(value)}


def _folder_entries(files: dict[str, bytes | str], folder: str, recursive: bool,
                    objects: dict[str, bytes] | None = None) -> list[dict[str, Any]]:
    prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
    entries: dict[str, dict[str, Any]] = {}
    for path, value in sorted(files.items()):
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix):].split("/")
        if len(rest) > 1 and not recursive:
            entries[prefix + rest[0]] = {"type": "directory", "path": prefix + rest[0], "oid": "0" * 40, "size": 0}
        else:
            if recursive:  # every folder on the way, as the Hub lists them
                for depth in range(1, len(rest)):
                    name = prefix + "/".join(rest[:depth])
                    entries[name] = {"type": "directory", "path": name, "oid": "0" * 40, "size": 0}
            entries[path] = _entry(path, value, objects)
    return list(entries.values())


def _commit(hub: HubServer, repo: str, r: Request) -> tuple[int, Any]:
    """Store a commit, or refuse it (4xx, nothing stored) as the real Hub does when an lfsFile
    points at an object that was never uploaded."""
    commit = parse_commit(r)
    missing = [path for path, oid in commit.lfs_files.items() if oid not in hub.lfs_objects]
    if missing:
        return 422, {"error": f"Your push was rejected because an LFS pointer pointed to a file that does not exist: {missing[0]}"}
    files = hub.stored.setdefault(repo, {})
    for path in commit.deleted:
        for name in [n for n in files if n == path or n.startswith(path.rstrip("/") + "/")]:
            del files[name]
    files.update(commit.files)
    files.update(commit.lfs_files)
    return 200, None


def _route(hub: HubServer, r: Request) -> tuple[int, Any, dict[str, str]]:
    parts = r.path.split("/")
    base = hub.endpoint
    # POST /api/repos/create
    if r.path == "/api/repos/create" and r.method == "POST":
        body = r.json()
        repo_type = body.get("type") or "model"
        name = f"{body.get('organization') or 'user'}/{body['name']}"
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        hub.created.add(name)
        return 200, {"url": f"{base}/{prefix}{name}", "name": name, "id": name}, {}
    # POST /api/validate-yaml
    if r.path == "/api/validate-yaml":
        if hub.yaml_errors:
            return 400, {"errors": [{"message": m} for m in hub.yaml_errors], "warnings": []}, {}
        return 200, {"errors": [], "warnings": []}, {}
    if len(parts) >= 5 and parts[1] == "api" and parts[2] in ("models", "datasets", "spaces"):
        repo = _repo_from(parts, 3)
        stored = hub.stored.get(repo, {})
        action = parts[5] if len(parts) > 5 else ""
        if action in ("", "revision", "tree", "paths-info") and repo not in hub.stored and repo not in hub.created:
            return 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
        if action == "preupload" and r.method == "POST":
            files = [
                {
                    "path": f["path"],
                    "uploadMode": "lfs" if f["size"] > hub.lfs_threshold or lfs_tracked(f["path"]) else "regular",
                    "shouldIgnore": False,
                    "oid": None,
                }
                for f in r.json()["files"]
            ]
            return 200, {"files": files}, {}
        if action == "commit" and r.method == "POST":
            status, error = _commit(hub, repo, r)
            if error is not None:
                return status, error, {}
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
        if action == "tree":  # /api/{type}s/{repo}/tree/{revision}/{folder...}
            folder = "/".join(parts[7:])
            listed = _folder_entries(stored, folder, r.query.get("recursive", ["false"])[0].lower() == "true",
                                     hub.lfs_objects)
            if folder and not listed:  # the Hub: no such folder
                return 404, {"error": f"Entry not found: {folder}"}, _NOT_FOUND
            return 200, listed, {}
        if action == "paths-info":  # form body: paths=a&paths=b&expand=...
            asked = parse_qs(r.body.decode())["paths"] if r.body else []
            entries = [_entry(p, stored[p], hub.lfs_objects) for p in asked if p in stored]
            entries += [{"type": "directory", "path": p, "oid": "0" * 40, "size": 0}
                        for p in asked if p not in stored and any(n.startswith(p.rstrip("/") + "/") for n in stored)]
            return 200, entries, {}
        if r.method == "GET" and action in ("", "revision"):
            siblings = [{"rfilename": path} for path in sorted(stored)]
            return 200, {"id": repo, "sha": COMMIT_OID, "siblings": siblings, "private": False}, {}
    # GET/HEAD /{type-prefix}{repo}/resolve/{revision}/{path}: a file that a commit stored
    if "resolve" in parts and r.method in ("GET", "HEAD"):
        at = parts.index("resolve")
        repo = "/".join(parts[at - 2:at])
        path = "/".join(parts[at + 2:])
        value = hub.stored.get(repo, {}).get(path)
        if value is None:
            return 404, {"error": f"Entry not found: {path}"}, _NOT_FOUND
        data = hub.lfs_objects[value] if isinstance(value, str) else value
        etag = value if isinstance(value, str) else hashlib.sha1(data).hexdigest()
        headers = {"ETag": f'"{etag}"', "X-Repo-Commit": COMMIT_OID, "Accept-Ranges": "bytes"}
        span = _byte_range(r.headers.get("range"), len(data))
        if span is not None:  # HfFileSystem reads by range (Parquet footer, row groups)
            start, end = span
            if start >= len(data):
                return 416, b"", {"Content-Range": f"bytes */{len(data)}"}
            return 206, data[start:end], {**headers, "Content-Range": f"bytes {start}-{end - 1}/{len(data)}"}
        return 200, data, headers
    # LFS: POST /{type-prefix}{repo}.git/info/lfs/objects/batch
    if r.path.endswith(".git/info/lfs/objects/batch") and r.method == "POST":
        objects = []
        for obj in r.json()["objects"]:
            oid = obj["oid"]
            entry: dict[str, Any] = {"oid": oid, "size": obj["size"], "authenticated": True}
            if oid not in hub.lfs_objects:  # an object the Hub already has gets no actions
                entry["actions"] = {
                    "upload": {"href": f"{base}/_lfs/{oid}"},
                    "verify": {"href": f"{base}/_lfs_verify/{oid}"},
                }
            objects.append(entry)
        return 200, {"transfer": "basic", "objects": objects}, {}
    if r.path.startswith("/_lfs/") and r.method == "PUT":
        oid = r.path.rsplit("/", 1)[-1]
        if hashlib.sha256(r.body).hexdigest() != oid:
            return 400, {"error": "sha256 mismatch"}, {}
        hub.lfs_objects[oid] = r.body
        return 200, b"", {}
    if r.path.startswith("/_lfs_verify/") and r.method == "POST":
        oid = r.path.rsplit("/", 1)[-1]
        if oid not in hub.lfs_objects:
            return 404, {"error": "object not found"}, {}
        return 200, {}, {}
    return 404, {"error": f"hubserver: no route for {r.method} {r.path}"}, _NOT_FOUND


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`bytes=A-B`, `bytes=A-` or `bytes=-N` as [start, end); None: no (single) range asked."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, _, last = header[6:].strip().partition("-")
    if not first:
        return max(0, size - int(last)), size
    return int(first), min(size, int(last) + 1) if last else size


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
def serve_hub(home: Path, monkeypatch: Any, *, xet: bool = True) -> Iterator[HubServer]:
    """Run a HubServer and point huggingface_hub at it, with nothing else reachable or read.

    huggingface_hub reads HF_ENDPOINT, HF_HOME, HF_HUB_OFFLINE and telemetry settings once, when
    `huggingface_hub.constants` is imported. The environment is set for anything imported later
    (and for subprocesses); the constants of an already-imported huggingface_hub, and the
    endpoint of its module-level HfApi (behind `from huggingface_hub import upload_file`), are
    pointed at the server too. HF_HOME is a fresh folder, so no saved token is ever read.
    `xet=False` disables Xet (HF_HUB_DISABLE_XET) so that LFS files use the basic LFS transfer
    the stand-in speaks (see the module docstring).
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
        monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", hub.endpoint + "/{repo_id}/resolve/{revision}/{filename}")
        monkeypatch.setattr(hf_api.api, "endpoint", hub.endpoint)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", not xet)
        if not xet:
            monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
        monkeypatch.setattr(constants, "HF_HOME", str(home))
        monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
        monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
        monkeypatch.setattr(importlib.import_module("huggingface_hub.utils.tqdm"), "HF_HUB_DISABLE_PROGRESS_BARS", True)
        yield hub
