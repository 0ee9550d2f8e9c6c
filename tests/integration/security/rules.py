"""Who may use each endpoint: the classification every endpoint of Signalbox must have.

A row is (URL-name globs, methods, need, why); the first row matching an endpoint's namespaced
URL name and method wins. test_endpoint_coverage.py fails for any endpoint no row matches, so
a new endpoint has to be classified here (and its view has to enforce what the row says).
The needs are described in endpoints.NEEDS."""

from __future__ import annotations

from tests.integration.security.endpoints import NEEDS, Rule

# Who may use what, by URL name (globs) and method; the first matching rule wins.
RULES: list[Rule] = [
    # -- open to anyone: no data behind them
    Rule("path:/", "*", "public", "the site root only redirects to the cluster list"),
    Rule("login", "*", "public", "the sign-in form (throttled, see access.throttle)"),
    Rule("api-schema api-docs", "GET", "public", "the API description and its viewer; no data"),
    # -- any logged-in user, showing only what that user may see
    Rule("clusters:list cluster-list api-root", "GET", "login", "filtered by clusters_visible"),
    Rule("roles:me me-access", "GET", "login", "one's own roles"),
    Rule("audit:list audit:export audit-list audit-export", "GET", "login", "own events + clusters one administers"),
    Rule("boards:list api-boards", "GET", "login", "one's own boards"),
    Rule("boards:detail api-board", "GET", "login", "shared by link; pins of clusters one cannot see are hidden"),
    # Read-only pages without require_GET answer a POST like a GET (CSRF still applies): same role.
    Rule("clusters:list roles:me boards:detail", "POST", "login", "answers POST like GET"),
    Rule(
        "clusters:detail brokers:overview brokers:configs brokers:default-configs consumer_groups:list "
        "consumer_groups:detail topics:list topics:detail",
        "POST",
        "viewer",
        "answers POST like GET",
    ),
    Rule("topics:messages", "POST", "messages", "answers POST like GET"),
    # -- self-service: a viewer may change these, because they are the user's own
    Rule("logout", "POST", "self", "ends one's own session"),
    Rule("boards:list boards:pin api-boards", "POST", "self", "creates one's own board / pins to it"),
    Rule("boards:copy api-board-copy", "POST", "self", "copies a shared board into one's own"),
    Rule("tokens:list token-list", "GET POST", "self", "one's own API tokens"),
    # -- someone else's object here: only its owner (or a superuser) may act on it
    Rule("boards:* api-board*", "*", "owner", "rename, delete, unpin, move: the board's owner only"),
    Rule("tokens:revoke token-detail token-revoke", "*", "owner", "another user's token"),
    # -- superusers only: where Signalbox connects to, and who may do what (CLUSTER_MANAGE, ROLE_MANAGE)
    Rule(
        "clusters:create clusters:test-connection-new clusters:edit clusters:delete clusters:test-connection",
        "*",
        "superuser",
    ),
    Rule("cluster-list cluster-test-connection-unsaved cluster-test-connection", "POST", "superuser"),
    Rule("cluster-detail", "PUT PATCH DELETE", "superuser"),
    Rule("roles:* user-* team-* cluster_roles:* grant-*", "*", "superuser"),
    # -- the cluster's viewers
    Rule("clusters:detail cluster-detail", "GET", "viewer"),
    Rule("topics:list topics:detail consumer_groups:list consumer_groups:detail brokers:overview", "GET", "viewer"),
    Rule("brokers:configs brokers:default-configs", "GET", "viewer"),
    Rule("topics:refresh api-cluster-refresh", "POST", "viewer", "re-reads the cluster; changes nothing in Kafka"),
    Rule(
        "api-topic-list api-topic-config-catalogue api-topic-detail api-topic-configs api-topic-groups "
        "api-broker-* api-group-list api-group-detail api-metrics-* api-cluster-polls api-cluster-dashboard",
        "GET",
        "viewer",
    ),
    Rule("schemas:list schemas:detail schemas:diff api-schemas-*", "GET", "viewer", "SCHEMA_VIEW"),
    Rule("connectors:list connectors:detail connectors:status", "GET", "viewer", "CONNECTOR_VIEW"),
    Rule(
        "api-connect-overview api-connect-plugins api-connector-list api-connector-detail api-connector-status "
        "api-connector-config api-connector-offsets",
        "GET",
        "viewer",
        "CONNECTOR_VIEW",
    ),
    Rule("topics:messages api-topic-messages api-topic-messages-download api-topic-message", "GET", "messages"),
    # -- operators (MESSAGE_PRODUCE, RECORDS_DELETE, GROUP_OFFSETS_RESET, ACL_VIEW)
    Rule("topics:produce api-topic-messages", "*", "operator"),
    Rule("topics:records api-topic-records-delete", "*", "operator"),
    Rule("consumer_groups:reset api-group-offsets-reset", "*", "operator"),
    Rule("acls:list acl-list", "GET", "operator"),
    Rule(
        "connectors:operate api-connector-pause api-connector-resume api-connector-stop api-connector-restart "
        "api-connector-task-restart",
        "POST",
        "operator",
        "CONNECTOR_OPERATE: pause, resume, stop, restart",
    ),
    Rule("acl-delete-preview", "POST", "operator", "ACL_VIEW: the preview deletes nothing"),
    # -- admins of the cluster
    Rule("topics:create topics:configs topics:partitions topics:delete", "*", "admin"),
    Rule("api-topic-list api-topic-partitions", "POST", "admin"),
    Rule("api-topic-detail", "DELETE", "admin"),
    Rule("api-topic-configs", "PATCH", "admin"),
    Rule("brokers:config-edit brokers:default-config-edit api-broker-configs api-broker-default-configs", "*", "admin"),
    Rule(
        "consumer_groups:delete consumer_groups:delete-offsets api-group-delete api-group-offsets-delete", "*", "admin"
    ),
    Rule("acls:create acls:wizard acls:delete acl-list acl-wizard acl-delete", "*", "admin"),
    Rule("scram:* scram-user-*", "*", "admin", "SCRAM_VIEW and SCRAM_EDIT"),
    Rule(
        "connectors:create connectors:edit connectors:delete connectors:offsets-reset api-connector-list "
        "api-connector-detail api-connector-config api-connector-offsets",
        "*",
        "admin",
        "CONNECTOR_EDIT: create, config, delete, offsets reset",
    ),
    Rule("schemas:* api-schemas-*", "*", "admin", "SCHEMA_EDIT: register, compatibility, delete"),
]
assert {rule.need for rule in RULES} <= set(NEEDS)
