"""Hygiene: model and dataset cards (README.md with YAML front matter): a Hub licence id, and
sections on limitations/risks/bias, intended use and evaluation."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hfguard.cli import main
from hfguard.hygiene.licenses import HUB_LICENSES

FULL_BODY = """
# Sentiment model

## Uses

Classifies English product reviews.

## Bias, Risks, and Limitations

Trained on reviews only; it does poorly on sarcasm.

## Evaluation

Accuracy 0.91 on the held-out split.
"""


def card_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                  name: str = "README.md") -> list[dict[str, Any]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code = main(["scan", str(path), "--format", "json", "--no-pii"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0  # card findings are low: reported, never blocking
    found = [f for f in report["findings"] if f["category"] == "hygiene"]
    assert all(f["severity"] == "low" and f["blocking"] is False for f in found)
    return found


def rules(found: list[dict[str, Any]]) -> list[str]:
    return sorted(f["rule"] for f in found)


def test_complete_card_has_no_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert card_findings(tmp_path, capsys, "---\nlicense: apache-2.0\nlanguage: en\n---\n" + FULL_BODY) == []


def test_readme_without_front_matter_is_not_a_card(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert card_findings(tmp_path, capsys, "# my project\n\nA library. No licence, no sections.\n") == []


def test_missing_licence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (finding,) = card_findings(tmp_path, capsys, "---\nlanguage: en\ntags:\n- text\n---\n" + FULL_BODY)
    assert finding["rule"] == "card-license-missing"
    assert (finding["line"], finding["column"]) == (1, 1)
    assert finding["location"] == "card metadata"
    assert finding["preview"] == "license: (none)"


def test_empty_front_matter_has_no_licence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = card_findings(tmp_path, capsys, "---\n---\n" + FULL_BODY)
    assert rules(found) == ["card-license-missing"]


@pytest.mark.parametrize("value, hint", [
    ("Apache 2.0", None),
    ("MIT", "the Hub id is `mit`"),
    ("gpl-4.0", None),
    ("[mit, proprietary]", None),
])
def test_licence_that_is_not_a_hub_id(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str,
                                      hint: str | None) -> None:
    (finding,) = card_findings(tmp_path, capsys, f"---\nlanguage: en\nlicense: {value}\n---\n" + FULL_BODY)
    assert finding["rule"] == "card-license-unknown"
    assert (finding["line"], finding["column"]) == (3, 1)  # the license: line
    assert "not a Hub licence id" in finding["message"]
    if hint:
        assert hint in finding["message"]


@pytest.mark.parametrize("value", ["mit", "cc-by-nc-sa-4.0", "llama3.1", "openrail++", "[mit, cc-by-4.0]"])
def test_hub_licence_ids_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert card_findings(tmp_path, capsys, f"---\nlicense: {value}\n---\n" + FULL_BODY) == []


def test_other_needs_a_licence_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (finding,) = card_findings(tmp_path, capsys, "---\nlicense: other\n---\n" + FULL_BODY)
    assert finding["rule"] == "card-license-unknown"
    assert "license_name" in finding["message"] and "license_link" in finding["message"]
    named = "---\nlicense: other\nlicense_name: acme-model-licence\nlicense_link: LICENSE\n---\n"
    assert card_findings(tmp_path, capsys, named + FULL_BODY) == []


def test_invalid_yaml_front_matter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = card_findings(tmp_path, capsys, "---\nlicense: [mit\n  bad: : :\n---\n" + FULL_BODY)
    (finding,) = [f for f in found if f["rule"] == "card-license-missing"]
    assert "not valid YAML" in finding["message"]


def test_hub_licence_list_is_data_from_the_hub_docs() -> None:
    assert {"apache-2.0", "mit", "other", "unknown", "cc-by-4.0", "llama3", "gemma"} <= HUB_LICENSES
    assert all(value == value.strip().lower() for value in HUB_LICENSES)
    assert "Apache-2.0" not in HUB_LICENSES


def test_card_without_any_section_names_all_three(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (finding,) = card_findings(tmp_path, capsys,
                               "---\nlicense: mit\n---\n# Model\n\nIt classifies text. It has limitations.\n")
    assert finding["rule"] == "card-sections-missing"
    assert finding["preview"] == "missing: limitations/risks/bias, intended use, evaluation"
    assert "model card" in finding["message"]


@pytest.mark.parametrize("body, missing", [
    ("## Intended uses & limitations\n\nx\n", "missing: evaluation"),
    ("Limitations\n-----------\n\nx\n\n**Evaluation results**\n\ny\n", "missing: intended use"),
    ("<h2>Direct Use</h2>\n\n## Training\n\n### Results\n", "missing: limitations/risks/bias"),
    # Words in prose, a heading-like line in a code block's text do not make sections.
    ("We discuss intended use, limitations and evaluation in the paper.\n", None),
])
def test_sections_are_found_by_headings(tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str,
                                        missing: str | None) -> None:
    (finding,) = card_findings(tmp_path, capsys, "---\nlicense: mit\n---\n# Model\n\n" + body)
    assert finding["rule"] == "card-sections-missing"
    if missing:
        assert finding["preview"] == missing
    else:
        assert finding["preview"].count(",") == 2


def test_model_index_in_metadata_counts_as_evaluation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("---\nlicense: mit\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-classification}\n"
            "---\n## Uses\nx\n## Limitations\ny\n")
    assert card_findings(tmp_path, capsys, text) == []


def test_dataset_card_needs_no_evaluation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    front = "---\nlicense: cc-by-4.0\ntask_categories:\n- text-classification\npretty_name: Reviews\n---\n"
    assert card_findings(tmp_path, capsys, front + "## Uses\nx\n## Considerations for Using the Data\ny\n") == []
    (finding,) = card_findings(tmp_path, capsys, front + "# Reviews\n\nSome reviews.\n")
    assert finding["preview"] == "missing: limitations/risks/bias, intended use"
    assert "dataset card" in finding["message"]


def test_space_readme_is_not_checked_for_sections(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "---\ntitle: Demo\nsdk: gradio\napp_file: app.py\nlicense: mit\n---\n\nA demo.\n"
    assert card_findings(tmp_path, capsys, text) == []


def test_readme_in_a_subfolder_and_disable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "models" / "small").mkdir(parents=True)
    (tmp_path / "models" / "small" / "README.md").write_text("---\nlanguage: en\n---\n" + FULL_BODY)
    main(["scan", str(tmp_path), "--format", "json", "--no-pii"])
    found = json.loads(capsys.readouterr().out)["findings"]
    assert [f["rule"] for f in found] == ["card-license-missing"]
    (tmp_path / ".hfguard.toml").write_text('disable = ["card-license-missing"]\n')
    assert main(["scan", str(tmp_path), "--format", "json", "--no-pii"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_strange_licence_values_are_not_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (finding,) = card_findings(tmp_path, capsys,
                               "---\nlicense: \"see \\u001b[31m https://x.test/terms?id=1\"\n---\n" + FULL_BODY)
    assert finding["rule"] == "card-license-unknown"
    assert "\x1b" not in json.dumps(finding) and "x.test" not in finding["preview"]
