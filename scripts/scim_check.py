"""RFC 7643/7644 compliance of callrec's /scim/v2, checked by PyPI's
scim2-tester: discovery, then create, read, query, replace, PATCH and
delete of every resource type the server publishes (User, Group).

Usage: scim_check.py BASE_URL TOKEN. Prints every check; exits 1 if any
failed.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
    client = SyncSCIMClient(http)
    results = check_server(client)
    failed = 0
    for result in results:
        mark = {Status.SUCCESS: "ok", Status.SKIPPED: "skipped"}.get(result.status, result.status.name)
        summary = (result.description or "").strip().splitlines()[:1]
        print(f"{mark:8} {result.title}: {' '.join(summary)}".rstrip())
        if result.status not in (Status.SUCCESS, Status.SKIPPED):
            failed += 1
            if result.reason:
                print(f"         {result.reason}")
    print(f"== scim2-tester: {len(results)} checks, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
