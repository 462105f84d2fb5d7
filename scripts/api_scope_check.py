"""A schemathesis check for scripts/api-fuzz.sh: a request the token's
scopes do not reach must answer 404, whatever else is wrong with it (the
scope is checked before anything else). CALLREC_FUZZ_SCOPES names the
token's scope, or `all`."""
import os

import schemathesis

NEEDS = {
    ("POST", "/api/v1/recordings"): "ingest",
    ("GET", "/api/v1/recordings"): "recordings:read",
    ("GET", "/api/v1/recordings/{id}"): "recordings:read",
    ("GET", "/api/v1/recordings/{id}/audio"): "recordings:download",
    ("GET", "/api/v1/users"): "directory:read",
    ("GET", "/api/v1/teams"): "directory:read",
    ("GET", "/api/v1/audit"): "audit:read",
    ("GET", "/api/v1/recordings/{id}/notes"): "notes:read",
    ("POST", "/api/v1/recordings/{id}/notes"): "notes:write",
    ("GET", "/api/v1/recordings/{id}/transcript"): "transcripts:read",
}


@schemathesis.check
def out_of_scope_is_404(ctx, response, case):
    scope = os.environ.get("CALLREC_FUZZ_SCOPES", "all")
    needs = NEEDS.get((case.method.upper(), case.path))
    if needs is None and response.status_code == 405:
        return None  # schemathesis probing an undocumented method
    if needs is None:
        raise AssertionError(f"no scope known for {case.method} {case.path}: add it to NEEDS")
    authorised = "authorization" in {k.lower() for k in (case.headers or {})} or response.request.headers.get("Authorization")
    if scope == "all" or scope == needs or not authorised or response.status_code in (401, 429):
        # Words said also needs transcripts:read.
        said = (case.query or {}).get("said") is not None
        if said and case.path == "/api/v1/recordings" and scope not in ("all", "transcripts:read") and response.status_code not in (400, 401, 404, 429):
            raise AssertionError(f"said= needs transcripts:read; a {scope} token got {response.status_code}")
        return None
    if response.status_code != 404:
        raise AssertionError(f"{case.method} {case.path} needs {needs}; a {scope} token got {response.status_code}, not 404")
    return None
