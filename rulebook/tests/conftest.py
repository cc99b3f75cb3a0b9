from __future__ import annotations

from pathlib import Path

import pytest

from rulebook import Engine, RuleSet

HERE = Path(__file__).parent
EXAMPLES = HERE.parent / "examples"


@pytest.fixture(scope="session")
def talent_rules() -> RuleSet:
    return RuleSet.from_file(EXAMPLES / "talent_2024.json")


@pytest.fixture(scope="session")
def sme_rules() -> RuleSet:
    return RuleSet.from_file(EXAMPLES / "srdi_sme.json")


@pytest.fixture(scope="session")
def sink_rules() -> RuleSet:
    return RuleSet.from_file(HERE / "data" / "kitchen_sink.json")


@pytest.fixture(scope="session")
def talent_engine(talent_rules: RuleSet) -> Engine:
    return Engine(talent_rules)
