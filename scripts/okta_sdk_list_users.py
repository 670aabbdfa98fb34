"""Lists every user of an Okta org with Okta's own Python SDK (the `okta` package on PyPI, 2.9;
3.4.6 sends `SSWS<token>` without the space, which Okta rejects as an invalid session) and
prints how many there are. Used against `okta-airsync sim` over TLS to show that a third-party
client sees the simulator as an Okta org.

Usage: SSL_CERT_FILE=cert.pem python3 okta_sdk_list_users.py https://localhost:PORT TOKEN
"""
import asyncio
import json
import sys

from okta.client import Client


async def list_all(client, **query):
    users, resp, err = await client.list_users(query_params={"limit": 200, **query})
    if err:
        raise SystemExit(f"list_users failed: {err}")
    out = list(users)
    while resp.has_next():
        more, err = await resp.next()
        if err:
            raise SystemExit(f"next page failed: {err}")
        out.extend(more)
    return out


async def main(org_url, token):
    client = Client({"orgUrl": org_url, "token": token})
    # Every status: the plain list leaves out DEPROVISIONED users; a filter includes them.
    plain = await list_all(client)
    deprovisioned = await list_all(client, filter='status eq "DEPROVISIONED"')
    ids = {u.id for u in plain + deprovisioned}
    print(json.dumps({"users": sorted(ids), "plain": len(plain), "deprovisioned": len(deprovisioned)}))


asyncio.run(main(sys.argv[1], sys.argv[2]))
