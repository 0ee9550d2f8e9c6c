from access.audit import REDACTED, redact


def test_redact_hides_secret_fields_at_any_depth():
    value = {"name": "c", "sasl_password": "p", "nested": [{"api_token": "t", "ok": 1}], "empty_password": ""}
    assert redact(value) == {
        "name": "c",
        "sasl_password": REDACTED,
        "nested": [{"api_token": REDACTED, "ok": 1}],
        "empty_password": "",
    }
