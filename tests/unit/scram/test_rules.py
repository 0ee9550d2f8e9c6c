"""The SCRAM input rules on their own: names, passwords, mechanisms, iterations."""

import pytest

from scram import rules


@pytest.mark.parametrize("name", ["alice", "svc.orders-1", "team_a", "alice@example.com", "ci+deploy", "A" * 255])
def test_good_names_pass(name):
    assert rules.name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "Give the user name"),
        ("a" * 256, "at most 255"),
        ("User:alice", "without the 'User:' prefix ('alice')"),
        ("user:alice", "without the 'User:' prefix"),
        ("a,b", "','"),
        ("a=b", "'='"),
        ("a b", "space"),
        ("jürgen", "'ü'"),
        ("a:b", "':'"),
        ("*", "'*'"),
        ('say"hi', "'\"'"),
        ("tab\there", "'\\t'"),
    ],
)
def test_bad_names_say_why(name, fragment):
    problem = rules.name_problem(name)
    assert problem is not None and fragment in problem


def test_existing_names_are_looser_but_not_empty_or_controls():
    assert rules.existing_name_problem("made by kafka-configs, with=odd chars") is None
    assert "Give the user name" in rules.existing_name_problem("")
    assert "control characters" in rules.existing_name_problem("a\nb")


@pytest.mark.parametrize("password", ["correct-horse-battery", "Tr0ub4dor&3xyz", "zq8!Lm2#vR5p"])
def test_strong_passwords_pass(password):
    assert rules.password_problem(password, name="alice") is None


@pytest.mark.parametrize(
    ("password", "name", "fragment"),
    [
        ("", "alice", "Give a password"),
        ("Short-pw1!", "alice", "at least 12 characters"),
        ("x" * 1025, "alice", "at most 1024"),
        ("line-one\nline-two", "alice", "Control characters"),
        ("aaaaaaaaaaaaaaaa", "alice", "at least 5 different characters"),
        ("abababababababab", "alice", "at least 5 different characters"),
        ("alice-is-the-best-2024", "alice", "must not contain the user name"),
        ("xx-ALICE-yy-2024", "alice", "must not contain the user name"),
        ("qwerty123456", "bob", "Too common"),
        ("password1234", "bob", "Too common"),
    ],
)
def test_weak_passwords_are_refused(password, name, fragment):
    problem = rules.password_problem(password, name=name)
    assert problem is not None and fragment in problem
    assert password not in problem or not password  # the reason never echoes the password


def test_a_password_may_equal_a_very_short_name_only_if_long_enough_and_not_equal():
    # A two-letter name is not searched for inside passwords, but the password may never be the name.
    assert rules.password_problem("correct-horse-ab", name="ab") is None
    name = "abcdefghijklm"
    assert "must not contain the user name" in rules.password_problem(name.upper(), name=name)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("SCRAM-SHA-256", "SCRAM-SHA-256"), ("scram-sha-512", "SCRAM-SHA-512"), ("SCRAM_SHA_512", "SCRAM-SHA-512")],
)
def test_mechanisms_are_normalized(value, expected):
    assert rules.mechanism_clean(value) == (expected, None)


@pytest.mark.parametrize(("value", "fragment"), [("PLAIN", "Unknown SCRAM mechanism 'PLAIN'"), ("", "Choose")])
def test_unknown_mechanisms_are_refused(value, fragment):
    _, problem = rules.mechanism_clean(value)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 8192), ("", 8192), (4096, 4096), ("16384", 16384), (" 10000 ", 10000)]
)
def test_iterations_default_and_range(value, expected):
    assert rules.iterations_clean(value) == (expected, None)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (4095, "4096 to 16384"),
        (16385, "4096 to 16384"),
        (0, "4096 to 16384"),
        (True, "whole number"),
        ("many", "whole number"),
        (8192.5, "whole number"),
        ("9" * 5000, "whole number"),
    ],
)
def test_bad_iterations_are_refused(value, fragment):
    _, problem = rules.iterations_clean(value)
    assert problem is not None and fragment in problem
