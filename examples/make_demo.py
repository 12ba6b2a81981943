"""Write a small demo project with typical leaks (a token in a notebook output, a key in a config,
customer records in a CSV), built at run time so that no credential is committed; and what to fix
before publishing (a model card without licence or sections, a model loaded without a pinned
revision, a pickled classifier instead of safetensors: the report's "Before you publish" part).

    python examples/make_demo.py DEMO_DIR && hfguard scan DEMO_DIR
"""
from __future__ import annotations

import json
import pickle
import random
import shutil
import string
import sys
from pathlib import Path


def _rand(chars: str, n: int, rng: random.Random) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "hfguard-demo")
    rng = random.Random(7)
    hf = "hf" + "_" + _rand(string.ascii_letters, 34, rng)
    aws_id = "AK" + "IA" + _rand(string.ascii_uppercase + "234567", 16, rng)  # base32, as AWS issues them
    aws_secret = _rand(string.ascii_letters + string.digits + "+/", 40, rng)
    marker = target / ".hfguard-demo"
    if target.exists() and any(target.iterdir()):
        if not marker.exists():
            print(f"{target} exists and is not an earlier demo: choose an empty or new folder", file=sys.stderr)
            return 2
        shutil.rmtree(target)  # an earlier demo: start afresh (a baseline or config left there would change the scan)
    target.mkdir(parents=True, exist_ok=True)
    marker.write_text("written by examples/make_demo.py; the folder is replaced when it is run again\n")
    (target / "train.py").write_text(
        "import os\n\n"
        'HF_TOKEN = os.environ["HF_TOKEN"]  # fine: read from the environment\n'
        f'aws_access_key_id = "{aws_id}"\n'
        f'aws_secret_access_key = "{aws_secret}"\n\n'
        "from transformers import AutoModel\n\n"
        'model = AutoModel.from_pretrained("bert-base-uncased")  # no revision=: not pinned\n'
    )
    (target / "README.md").write_text(
        "---\nlanguage: en\npipeline_tag: text-classification\n---\n\n"
        "# Review classifier\n\nClassifies product reviews. Trained on our customer reviews.\n"
    )
    # A plain pickle (no code in it, but loading pickles can run code): prefer safetensors.
    (target / "classifier.pkl").write_bytes(pickle.dumps({"weights": [0.25, -1.5, 3.0], "bias": 0.1}))
    notebook = {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Explore the data\n"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": ["!env | grep HF\n"],
             "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"HF_TOKEN={hf}\n"]}]},
        ],
    }
    (target / "explore.ipynb").write_text(json.dumps(notebook, indent=1))
    first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald"]
    last = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth"]
    rows = ["id,name,email,review"]
    for i in range(6):
        name = f"{first[i]} {last[i]}"
        email = f"{first[i].lower()}.{last[i].lower()}@{'mailbox'}.{'org'}"
        rows.append(f'{i + 1},{name},{email},"Great product, would buy again"')
    (target / "customers.csv").write_text("\n".join(rows) + "\n")
    print(f"demo project written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
