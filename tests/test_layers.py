"""The architecture holds: imports only point down, and no package imports itself in a circle.

The layers and the contracts are written in pyproject.toml ([tool.importlinter]) and
explained in the README's "Architecture" section; this test fails on the first upward import.
"""

from __future__ import annotations

import os
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "usecases", "storage", "domain", "emulator")


def test_imports_only_point_down(capsys) -> None:
    os.chdir(ROOT)
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    assert status == 0, capsys.readouterr().out


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if module < imported and graph.chain_exists(imported=module, importer=imported):
                cycles.append(graph.find_shortest_chain(imported=module, importer=imported))
    assert not cycles, f"import cycles (each shown as one way round): {cycles}"
