"""The mite sandbox's faults: each breaks exactly one clause of suites/mite/contract.toml."""

from __future__ import annotations

from apiconform.sandbox.faults import Fault

FAULTS: list[Fault] = [
    Fault("header-key-ignored", "mite.auth.header-key", "The X-MiteApiKey header never authenticates."),
    Fault("query-key-ignored", "mite.auth.query-key", "The api_key query parameter never authenticates."),
    Fault("basic-auth-ignored", "mite.auth.basic", "HTTP basic credentials never authenticate."),
    Fault("403-for-missing-key", "mite.auth.401-missing", "A request without any credentials gets 403 instead of 401."),
    Fault("wrong-key-accepted", "mite.auth.401-wrong", "Any unknown 16-hex API key authenticates as the owner."),
    Fault("revoked-key-accepted", "mite.auth.401-revoked", "The key of a user whose API access is off still authenticates."),
    Fault("plain-http-served", "mite.auth.https-only", "The plain-HTTP port serves the full API instead of redirecting."),
    Fault("user-read-404", "mite.status.200-read", "GET /users/:id answers 404 for users that exist."),
    Fault("unknown-id-500", "mite.status.allowed", "An unknown id answers 500 with an error body."),
    Fault("missing-as-400", "mite.status.404-unknown", "An unknown or deleted id answers 400 instead of 404."),
    Fault("malformed-body-422", "mite.status.400-malformed", "A malformed request body answers 422 instead of 400."),
    Fault("time-tracker-can-write", "mite.status.403-role", "Time trackers may write customers, projects and services."),
    Fault("users-visible-to-time-tracker", "mite.status.403-users", "Time trackers may read the users."),
    Fault("hidden-entry-403", "mite.status.404-hidden", "Another user's time entry answers 403 instead of 404."),
    Fault("locked-entry-editable", "mite.status.423-locked", "Locks are ignored: locked entries can be changed and deleted."),
    Fault("name-not-required", "mite.status.422-missing", "A create without a name succeeds with name \"\"."),
    Fault("error-key-renamed", "mite.error.json", "JSON error bodies are {\"errors\": [\"msg\"]}."),
    Fault("xml-error-root", "mite.error.xml", "XML error bodies are <error>msg</error> without the <errors> root."),
    Fault("xml-drops-note", "mite.format.xml", "XML renderings omit the note element."),
    Fault("json-content-type-text", "mite.format.json", "JSON responses say Content-Type text/plain."),
    Fault("accept-honoured", "mite.format.accept-ignored", "The Accept header overrides the URL suffix."),
    Fault("unknown-suffix-404", "mite.format.406", "Unsupported suffixes answer 404 instead of 406."),
    Fault("head-drops-etag", "mite.verb.head", "HEAD answers without the ETag header."),
    Fault("head-with-body", "mite.verb.head", "HEAD answers are followed on the wire by the GET body (below uvicorn, which drops it)."),
    Fault("put-not-aliased", "mite.verb.put-alias", "PUT answers 404 instead of acting like PATCH."),
    Fault("create-no-location", "mite.verb.create-201", "A create answers without a Location header."),
    Fault("update-echoes-body", "mite.verb.update-200", "PATCH/PUT answer 200 with the resource instead of an empty body."),
    Fault("delete-keeps-record", "mite.verb.delete-200", "DELETE answers 200 but keeps the record."),
    Fault("content-type-optional", "mite.verb.content-type-required", "Writes without Content-Type are parsed as JSON."),
    Fault("etag-ignored", "mite.cond.304", "If-None-Match is ignored: never a 304."),
    Fault("not-modified-with-body", "mite.cond.304", "304 answers are followed on the wire by the resource's body."),
    Fault("etag-strong", "mite.cond.etag", "ETags lack the W/ prefix (304 still works)."),
    Fault("etag-stale", "mite.cond.changed", "ETags derive from the resource id only, so they never change."),
    Fault("page-overlap", "mite.page.walk", "Page n>1 starts one item early, repeating the previous page's last item."),
    Fault("default-limit-5", "mite.page.default-all", "Lists without limit return only the first 5 items."),
    Fault("beyond-end-last-page", "mite.page.beyond-end", "A page past the end returns the last non-empty page."),
    Fault("archived-in-active-list", "mite.page.archived", "The active list also holds archived records."),
    Fault("at-filter-ignored", "mite.page.filters", "The time-entry list ignores the at (date) filter."),
    Fault("unsorted-lists", "mite.page.sorted", "Lists come in descending id order instead of by name."),
    Fault("hourly-rate-string", "mite.schema.resources", "Customers' hourly_rate is rendered as a string."),
    Fault("create-drops-note", "mite.payload.valid-accepted", "A create ignores note and stores \"\"."),
    Fault("blank-name-accepted", "mite.payload.blank-name", "Blank or whitespace-only names are accepted on create."),
    Fault("negative-minutes-accepted", "mite.payload.negative-minutes", "Time entries accept negative minutes."),
    Fault("tracker-stop-empty", "mite.tracker.start-stop", "Stopping the tracker answers {\"tracker\":{}}."),
]

FAULT_NAMES: frozenset[str] = frozenset(fault.name for fault in FAULTS)
