"""`hfguard upload`: blocked before any request (exit 1), or created and committed (exit 0)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hubserver import HubServer
from secretgen import hf_token

from hfguard.cli import main

TOKEN = "hf_" + "C" * 34
SECRET = hf_token("hub-cli")



@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('app')\n")
    (root / "notes.md").write_text("# Notes\n")
    return root


def test_blocked_upload_sends_nothing(hub: HubServer, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "src" / "settings.py").write_text(f'HF_TOKEN = "{SECRET}"\n')
    assert main(["upload", "user/app", str(project), "--token", TOKEN, "--private"]) == 1
    out, err = capsys.readouterr()
    assert hub.requests == []  # not even the repo creation
    assert "src/settings.py:1" in err and "huggingface-access-token" in err and "nothing was sent" in err
    assert SECRET not in out + err and TOKEN not in out + err


def test_clean_folder_upload(hub: HubServer, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["upload", "user/app", str(project), "code", "--token", TOKEN, "--private",
                 "--repo-type", "dataset", "--commit-message", "First version"])
    assert code == 0
    out, err = capsys.readouterr()
    assert hub.paths() == ["POST /api/repos/create", "POST /api/datasets/user/app/preupload/main",
                           "POST /api/datasets/user/app/commit/main"]
    assert hub.requests[0].json()["visibility"] == "private" and hub.requests[0].json()["type"] == "dataset"
    assert hub.requests[0].headers["authorization"] == f"Bearer {TOKEN}"  # passed through, never printed
    commit = hub.commits()[-1]
    assert commit.summary == "First version"
    assert commit.files == {"code/src/app.py": b"print('app')\n", "code/notes.md": b"# Notes\n"}
    assert "/commit/" in out and TOKEN not in out + err


def test_include_exclude_decide_what_is_checked(hub: HubServer, project: Path) -> None:
    (project / "src" / "settings.py").write_text(f'HF_TOKEN = "{SECRET}"\n')
    assert main(["upload", "user/app", str(project), "--token", TOKEN, "--exclude", "src/settings.py"]) == 0
    assert "src/settings.py" not in hub.commits()[-1].files
    hub.clear()
    assert main(["upload", "user/app", str(project), "--token", TOKEN, "--include", "*.md"]) == 0
    assert set(hub.commits()[-1].files) == {"notes.md"}
    hub.clear()
    assert main(["upload", "user/app", str(project), "--token", TOKEN, "--include", "src/*"]) == 1
    assert hub.requests == []


def test_single_file_and_commit_message(hub: HubServer, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upload", "user/app", str(project / "notes.md"), "--token", TOKEN,
                 "--commit-message", f"add notes ({SECRET})"]) == 1
    err = capsys.readouterr().err
    assert "<commit message>" in err and SECRET not in err and hub.requests == []
    assert main(["upload", "user/app", str(project / "notes.md"), "docs/NOTES.md", "--token", TOKEN, "--revision", "dev"]) == 0
    assert hub.paths()[0] == "POST /api/repos/create"
    assert hub.commits()[-1].files == {"docs/NOTES.md": b"# Notes\n"} and hub.commits()[-1].revision == "dev"


def test_dry_run_and_usage_errors(hub: HubServer, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upload", "user/app", str(project), "--dry-run"]) == 0
    assert main(["upload", "user/app", str(tmp_path / "missing")]) == 2
    assert main(["upload", "user/app"]) == 2
    assert hub.requests == []


def test_real_command_with_hf_endpoint_from_the_environment(tmp_path: Path, project: Path) -> None:
    """The shell user's path: HF_ENDPOINT set before huggingface_hub is ever imported."""
    home = tmp_path / "hf_home"
    home.mkdir()
    with HubServer() as hub:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
        env.update(HF_ENDPOINT=hub.endpoint, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1",
                   HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_UPDATE_CHECK="1", NO_PROXY="127.0.0.1")
        (project / "leak.txt").write_text(f"token {SECRET}\n")
        command = [sys.executable, "-m", "hfguard", "upload", "user/app", str(project), "--token", TOKEN, "--no-pii"]
        blocked = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert blocked.returncode == 1, blocked.stderr
        assert hub.requests == [] and SECRET not in blocked.stdout + blocked.stderr
        (project / "leak.txt").unlink()
        clean = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert clean.returncode == 0, clean.stderr
        assert hub.commits()[-1].files["src/app.py"] == b"print('app')\n"
        assert TOKEN not in clean.stdout + clean.stderr


def test_excluded_files_are_named_as_sent_unscanned(hub: HubServer, project: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (project / "big.log").write_text(f"token {SECRET}\n")
    (project / ".hfguard.toml").write_text('exclude = ["big.log"]\n')
    assert main(["upload", "user/app", str(project), "--token", TOKEN, "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "3 item(s) checked, nothing blocks" in err  # app.py, notes.md, .hfguard.toml: not big.log
    assert "1 file(s) would be sent unscanned (excluded in config): big.log" in err
    assert "--exclude" in err and hub.requests == [] and SECRET not in err
    assert main(["upload", "user/app", str(project), "--token", TOKEN]) == 0
    err = capsys.readouterr().err
    assert err.count("sent unscanned (excluded in config): big.log") == 1, err
    assert "big.log" in hub.commits()[-1].files


def test_unscannable_file_advice_names_the_cli_flag(hub: HubServer, project: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (project / "notes.md").write_text("# Notes\n" + "x" * 2000 + "\n")
    (project / ".hfguard.toml").write_text('max_file_size = "1KB"\n')
    assert main(["upload", "user/app", str(project), "--token", TOKEN]) == 2
    err = capsys.readouterr().err
    assert "--allow-unscanned" in err and "allow_unscanned=True" not in err
    assert "notes.md" in err and err.count("not scanned") == 1, err
    assert "--exclude PATTERN" in err and hub.requests == []
    assert main(["upload", "user/app", str(project), "--token", TOKEN, "--allow-unscanned"]) == 0
    assert "notes.md" in hub.commits()[-1].files


def test_scan_report_hint_for_data_values(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ssn = "-".join(["219", "09", "9999"])  # noqa: FLY002 - not one literal: the self-scan reads this file
    (tmp_path / "people.csv").write_text("name,ssn\n" + "".join(f"Person {i},{ssn[:-1]}{i}\n" for i in range(10)))
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "people.csv"]) == 1
    out = capsys.readouterr().out
    assert "mark its line" not in out
    assert '[[allow]] with path = "people.csv", field = "ssn", rules = ["pii-us-ssn"]' in out
    (tmp_path / "app.py").write_text(f'T = "{SECRET}"\n')
    assert main(["scan", "."]) == 1
    out = capsys.readouterr().out
    assert "mark its line with `hfguard: allow <rule>`" in out and "[[allow]] with path" in out


def test_lfs_pointer_note_says_how_to_fetch_the_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    oid = "a" * 64
    (tmp_path / "model.safetensors").write_text(
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345\n")
    assert main(["scan", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Git LFS pointer" in out and "`git lfs pull`" in out
