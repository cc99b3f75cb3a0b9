"""Optional steps may carry a rulebook condition; it is validated with paths and evaluated on the case context."""

from __future__ import annotations

from onestop.workflow.conditions import condition_errors, condition_holds

FOREIGN_OR_DOCTOR = {
    "rulebook": {
        "attributes": {
            "nationality": {"type": "enum", "values": ["中国", "其他"], "label": {"zh": "国籍", "en": "Nationality"}},
            "education": {"type": "ordered_enum", "values": ["大专", "本科", "硕士", "博士"],
                          "label": {"zh": "学历", "en": "Education"}},
        },
        "when": {"any": [{"!=": [{"attr": "nationality"}, "中国"]}, {">=": [{"attr": "education"}, "博士"]}]},
    }
}


def test_a_rulebook_condition_applies_the_step_only_when_true():
    assert condition_holds(FOREIGN_OR_DOCTOR, {"nationality": "其他", "education": "本科"}) is True
    assert condition_holds(FOREIGN_OR_DOCTOR, {"nationality": "中国", "education": "博士"}) is True
    assert condition_holds(FOREIGN_OR_DOCTOR, {"nationality": "中国", "education": "硕士"}) is False


def test_an_unknown_value_skips_the_step():
    assert condition_holds(FOREIGN_OR_DOCTOR, {"nationality": "中国"}) is False


def test_a_faulty_rulebook_condition_is_reported_with_its_path():
    bad = {"rulebook": {"attributes": {}, "when": {">=": [{"attr": "age_years"}, 35]}}}

    errors = condition_errors(bad)

    assert errors and errors[0].startswith("condition.rulebook：")
    assert "age_years" in errors[0]


def test_a_rulebook_condition_combines_with_simple_tests():
    combined = {"all": [FOREIGN_OR_DOCTOR, {"attr": "employer_confirmed", "op": "==", "value": True}]}

    assert condition_holds(combined, {"nationality": "其他", "employer_confirmed": True}) is True
    assert condition_holds(combined, {"nationality": "其他", "employer_confirmed": False}) is False
