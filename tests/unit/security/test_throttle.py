"""Counting failed sign-ins per username and per address (access.throttle), on a local cache."""

import logging
import time

from access.throttle import Lockout, login_failed, login_locked, login_succeeded


def test_username_is_locked_after_the_limit_from_any_address():
    assert login_failed(username="alice", address="10.0.0.1") is None
    assert login_failed(username="alice", address="10.0.0.2") is None
    started = login_failed(username="alice", address="10.0.0.3")
    assert started == Lockout(scope="username", retry_after_s=900)
    lock = login_locked(username="alice", address="10.0.0.9")
    assert lock is not None and lock.scope == "username" and 895 <= lock.retry_after_s <= 900
    assert login_locked(username="bob", address="10.0.0.9") is None


def test_username_counts_ignore_case_and_surrounding_spaces():
    for typed in ("Alice", " alice", "ALICE "):
        login_failed(username=typed, address="")
    assert login_locked(username="alice", address="") is not None


def test_address_is_locked_after_its_own_limit_whatever_the_usernames():
    for i in range(4):
        assert login_failed(username=f"user{i}", address="192.0.2.7") is None
    assert login_failed(username="user4", address="192.0.2.7") == Lockout(scope="address", retry_after_s=900)
    lock = login_locked(username="someone-else", address="192.0.2.7")
    assert lock is not None and lock.scope == "address"
    assert login_locked(username="someone-else", address="192.0.2.8") is None


def test_ipv6_addresses_in_one_64_share_a_count():
    for i in range(5):
        login_failed(username=f"u{i}", address=f"2001:db8:1:2::{i + 1}")
    assert login_locked(username="x", address="2001:db8:1:2:ffff::1") is not None
    assert login_locked(username="x", address="2001:db8:1:3::1") is None


def test_success_clears_the_username_count_but_not_the_address_count():
    login_failed(username="carol", address="198.51.100.1")
    login_failed(username="carol", address="198.51.100.1")
    login_succeeded(username="carol")
    login_failed(username="carol", address="198.51.100.1")
    login_failed(username="carol", address="198.51.100.1")
    assert login_locked(username="carol", address="198.51.100.2") is None  # 2 since the success, limit 3
    # The address has seen 4 failures (limit 5): the fifth from it locks it.
    assert login_failed(username="dave", address="198.51.100.1") == Lockout(scope="address", retry_after_s=900)


def test_the_lock_ends_after_the_lockout(settings):
    settings.LOGIN_THROTTLE_LOCKOUT_S = 1
    for _ in range(3):
        login_failed(username="erin", address="")
    assert login_locked(username="erin", address="") is not None
    time.sleep(1.2)
    assert login_locked(username="erin", address="") is None


def test_message_names_the_minutes_left():
    assert Lockout(scope="username", retry_after_s=900).message == "Too many failed sign-ins; try again in 15 minutes."
    assert Lockout(scope="address", retry_after_s=61).message == "Too many failed sign-ins; try again in 2 minutes."
    assert Lockout(scope="address", retry_after_s=5).message == "Too many failed sign-ins; try again in 1 minute."


def test_an_unreachable_store_lets_sign_ins_through_and_says_so(settings, caplog):
    settings.CACHES = {
        **settings.CACHES,
        "login_throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    with caplog.at_level(logging.ERROR, logger="access.throttle"):
        assert login_failed(username="frank", address="203.0.113.5") is None
        assert login_locked(username="frank", address="203.0.113.5") is None
        login_succeeded(username="frank")
    assert sum("Login throttle store unavailable" in r.getMessage() for r in caplog.records) == 3
