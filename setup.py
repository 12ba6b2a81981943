"""Copy the top-level rules/ into the package at build time, so the wheel ships them.

The rules live at the repository root (rules are data, reviewed like data); at run time
hfguard reads them from hfguard/_rules inside an installed wheel, or from ../rules in a checkout.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithRules(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).parent / "rules"
        target = Path(self.build_lib) / "hfguard" / "_rules"
        target.mkdir(parents=True, exist_ok=True)
        for rule_file in sorted(source.glob("*.toml")):
            shutil.copy2(rule_file, target / rule_file.name)


setup(cmdclass={"build_py": BuildPyWithRules})
