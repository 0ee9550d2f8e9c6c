"""ACL input rules without a network: principals, hosts, names, enums, filters, presets."""

import pytest
from django.core.exceptions import ValidationError

from acls.selectors import acl_fingerprint
from acls.services import acl_wizard_bindings
from acls.validation import binding_from, filter_from, filter_summary, validate_host, validate_principal
from clusters.gateway.acls import AclBinding, AclFilter


@pytest.mark.parametrize("value", ["User:alice", "User:*", "Group:ops", "User:CN=Alice Smith,O=Example", "User:a:b"])
def test_good_principals_pass_unchanged(value):
    assert validate_principal(value) == value


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("alice", "has no ':'"),
        ("", "<Type>:<name>"),
        ("User:", "is empty"),
        (":alice", "type before ':' is missing"),
        (" User:alice", "Remove the spaces"),
        ("User: alice", "spaces after ':'"),
        ("User:alice bob", "contains whitespace"),
        ("user:alice", "case-sensitive"),
        ("Us er:alice", "is not a principal type"),
        ("User:al\x00ice", "control characters"),
    ],
)
def test_bad_principals_say_what_is_wrong(value, fragment):
    with pytest.raises(ValidationError) as exc:
        validate_principal(value)
    assert fragment in " ".join(exc.value.messages)


def test_hosts_are_star_or_one_ip():
    assert validate_host("*") == "*"
    assert validate_host("10.0.0.5") == "10.0.0.5"
    assert validate_host("2001:db8::1") == "2001:db8::1"
    for bad in ("localhost", "10.0.0.0/8", "10.0.0.300", ""):
        with pytest.raises(ValidationError, match="not '\\*' or an IP address"):
            validate_host(bad)


GOOD = {
    "principal": "User:alice",
    "host": "*",
    "operation": "read",
    "permission": "allow",
    "resource_type": "topic",
    "resource_name": "orders",
    "pattern_type": "literal",
}


def test_binding_from_normalises_case_and_defaults():
    binding = binding_from(GOOD)
    assert binding == AclBinding("User:alice", "*", "READ", "ALLOW", "TOPIC", "orders", "LITERAL")
    defaults = binding_from(
        {"principal": "User:a", "operation": "WRITE", "resource_type": "TOPIC", "resource_name": "t"}
    )
    assert (defaults.host, defaults.permission, defaults.pattern_type) == ("*", "ALLOW", "LITERAL")


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"resource_type": "TOPICS"}, "resource_type", "use one of TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID"),
        ({"operation": "FLY"}, "operation", "use one of ALL, READ, WRITE"),
        ({"permission": "MAYBE"}, "permission", "use one of ALLOW, DENY"),
        ({"pattern_type": "MATCH"}, "pattern_type", "use one of LITERAL, PREFIXED"),
        (
            {"operation": "WRITE", "resource_type": "GROUP", "resource_name": "g"},
            "operation",
            "does nothing on a GROUP",
        ),
        ({"resource_name": "bad topic!"}, "resource_name", "may only contain"),
        ({"resource_name": ""}, "resource_name", "Give the topic name"),
        ({"resource_name": "*", "pattern_type": "PREFIXED"}, "resource_name", "LITERAL"),
        ({"resource_name": "a" * 250}, "resource_name", "at most 249"),
        ({"resource_type": "CLUSTER", "resource_name": "mine", "operation": "ALTER"}, "resource_name", "kafka-cluster"),
        ({"host": "example.com"}, "host", "IP address"),
        ({"principal": "alice"}, "principal", "User:alice"),
    ],
)
def test_bad_binding_names_the_field(change, field, fragment):
    with pytest.raises(ValidationError) as exc:
        binding_from({**GOOD, **change})
    errors = exc.value.message_dict
    assert field in errors, errors
    assert fragment in " ".join(errors[field])


def test_every_bad_field_is_named_at_once():
    with pytest.raises(ValidationError) as exc:
        binding_from({"principal": "nobody", "host": "x", "operation": "?", "resource_type": "?"})
    assert {"principal", "host", "operation", "resource_type"} <= set(exc.value.message_dict)


def test_cluster_resource_gets_its_only_name():
    binding = binding_from({**GOOD, "resource_type": "CLUSTER", "resource_name": "", "operation": "IDEMPOTENT_WRITE"})
    assert binding.resource_name == "kafka-cluster"


def test_prefixed_topic_names_only_need_legal_characters():
    assert binding_from({**GOOD, "resource_name": "orders.", "pattern_type": "PREFIXED"}).resource_name == "orders."


def test_filter_defaults_match_everything_and_parse_each_field():
    assert filter_from({}) == AclFilter()
    assert filter_summary(AclFilter()) == "every ACL"
    parsed = filter_from(
        {"principal": "User:bob", "resource_type": "group", "pattern_type": "match", "resource_name": "g1"}
    )
    assert parsed == AclFilter(principal="User:bob", resource_type="GROUP", pattern_type="MATCH", resource_name="g1")
    assert filter_summary(parsed) == "principal=User:bob, resource_type=GROUP, resource_name=g1, pattern_type=MATCH"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"principal": "bob"}, "principal"),
        ({"pattern_type": "FUZZY"}, "pattern_type"),
        ({"resource_type": "QUEUE"}, "resource_type"),
        ({"operation": "JUMP"}, "operation"),
        ({"permission": "PERHAPS"}, "permission"),
        ({"host": "my-laptop"}, "host"),
        ({"resource_type": "TOPIC", "resource_name": "no spaces allowed"}, "resource_name"),
    ],
)
def test_bad_filter_names_the_field(data, field):
    with pytest.raises(ValidationError) as exc:
        filter_from(data)
    assert field in exc.value.message_dict


def test_producer_preset_is_write_and_describe_with_optional_transactional_id():
    plain = acl_wizard_bindings(preset="producer", principal="User:app", topic="orders")
    assert {(b.resource_type, b.resource_name, b.operation, b.pattern_type) for b in plain} == {
        ("TOPIC", "orders", "WRITE", "LITERAL"),
        ("TOPIC", "orders", "DESCRIBE", "LITERAL"),
    }
    tx = acl_wizard_bindings(
        preset="producer", principal="User:app", topic="orders.", transactional_id="app-tx", prefixed=True
    )
    assert {(b.resource_type, b.resource_name, b.operation, b.pattern_type) for b in tx} == {
        ("TOPIC", "orders.", "WRITE", "PREFIXED"),
        ("TOPIC", "orders.", "DESCRIBE", "PREFIXED"),
        ("TRANSACTIONAL_ID", "app-tx", "WRITE", "PREFIXED"),
        ("TRANSACTIONAL_ID", "app-tx", "DESCRIBE", "PREFIXED"),
    }
    assert all(b.permission == "ALLOW" and b.host == "*" and b.principal == "User:app" for b in tx)


def test_consumer_preset_reads_topic_and_group():
    bindings = acl_wizard_bindings(
        preset="consumer", principal="User:app", topic="orders", group="billing", host="10.1.2.3"
    )
    assert {(b.resource_type, b.resource_name, b.operation) for b in bindings} == {
        ("TOPIC", "orders", "READ"),
        ("TOPIC", "orders", "DESCRIBE"),
        ("GROUP", "billing", "READ"),
    }
    assert {b.host for b in bindings} == {"10.1.2.3"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"preset": "consumer", "topic": "orders"}, "group"),
        ({"preset": "producer", "topic": ""}, "topic"),
        ({"preset": "producer", "topic": "bad topic"}, "topic"),
        ({"preset": "admin", "topic": "orders"}, "preset"),
        ({"preset": "producer", "topic": "t", "principal": "app"}, "principal"),
    ],
)
def test_preset_errors_name_the_wizard_field(kwargs, field):
    kwargs = {"principal": "User:app", **kwargs}
    with pytest.raises(ValidationError) as exc:
        acl_wizard_bindings(**kwargs)
    assert field in exc.value.message_dict, exc.value.message_dict


def test_fingerprint_depends_on_the_set_not_its_order():
    a = AclBinding("User:a", "*", "READ", "ALLOW", "TOPIC", "t", "LITERAL")
    b = AclBinding("User:b", "*", "READ", "ALLOW", "TOPIC", "t", "LITERAL")
    assert acl_fingerprint([a, b]) == acl_fingerprint([b, a]) == acl_fingerprint([a, b, a])
    assert acl_fingerprint([a]) != acl_fingerprint([a, b])
    assert acl_fingerprint([]) != acl_fingerprint([a])
    assert len(acl_fingerprint([a])) == 64
