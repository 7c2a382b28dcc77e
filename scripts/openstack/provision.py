"""Idempotent REST provisioning of the test cloud (run with /usr/bin/python3; stdlib only).

  provision.py keystone   projects service+demo, users demo/neutron, roles, network service+endpoints
  provision.py neutron    external network `public` + subnet (admin), `demo-net`/`demo-subnet` and a
                          router with gateway + interface (demo), so floating IPs can be associated
  provision.py envjson    prints the JSON the tests read (URLs, credentials, ids)
Configuration comes from the environment set by scripts/openstack/lib.sh.
"""
import json
import os
import sys
import urllib.error
import urllib.request

KS = os.environ["KEYSTONE_URL"]
NEUTRON = os.environ["NEUTRON_URL"]
REGION = os.environ["OSTEST_REGION"]
ADMIN_PW = os.environ["OSTEST_ADMIN_PASSWORD"]
DEMO_PW = os.environ["OSTEST_DEMO_PASSWORD"]
SERVICE_PW = os.environ["OSTEST_SERVICE_PASSWORD"]


def call(method, url, token=None, body=None, ok=(200, 201, 204)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            return resp.status, resp.headers, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        if e.code in ok:
            return e.code, e.headers, None
        sys.exit(f"provision: {method} {url} -> {e.code}: {raw[:300]!r}")


def token(user, password, project):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    _, headers, _ = call("POST", KS + "/v3/auth/tokens", body=body)
    return headers["X-Subject-Token"]


def find(tok, collection, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    _, _, body = call("GET", f"{KS}/v3/{collection}?{q}", tok)
    items = body[collection]
    return items[0] if items else None


def ensure(tok, collection, singular, query, create):
    found = find(tok, collection, **query)
    if found:
        return found
    _, _, body = call("POST", f"{KS}/v3/{collection}", tok, {singular: create})
    return body[singular]


def grant(tok, project_id, user_id, role_id):
    call("PUT", f"{KS}/v3/projects/{project_id}/users/{user_id}/roles/{role_id}", tok)


def keystone():
    tok = token("admin", ADMIN_PW, "admin")
    roles = {r: ensure(tok, "roles", "role", {"name": r}, {"name": r})["id"] for r in ("admin", "member", "reader")}
    projects = {p: ensure(tok, "projects", "project", {"name": p},
                          {"name": p, "domain_id": "default", "description": f"{p} project"})["id"]
                for p in ("admin", "service", "demo")}
    admin = find(tok, "users", name="admin")
    demo = ensure(tok, "users", "user", {"name": "demo"},
                  {"name": "demo", "domain_id": "default", "password": DEMO_PW, "enabled": True})
    grant(tok, projects["demo"], admin["id"], roles["admin"])
    grant(tok, projects["demo"], demo["id"], roles["member"])
    # One service user per OpenStack service; later Nova/Placement/Glance are added here.
    for name in ("neutron",):
        user = ensure(tok, "users", "user", {"name": name},
                      {"name": name, "domain_id": "default", "password": SERVICE_PW, "enabled": True})
        grant(tok, projects["service"], user["id"], roles["admin"])
    services = [("neutron", "network", NEUTRON + "/")]
    for name, stype, url in services:
        svc = ensure(tok, "services", "service", {"type": stype}, {"name": name, "type": stype, "enabled": True})
        _, _, body = call("GET", f"{KS}/v3/endpoints?service_id={svc['id']}", tok)
        have = {e["interface"] for e in body["endpoints"]}
        for iface in ("public", "internal", "admin"):
            if iface not in have:
                call("POST", f"{KS}/v3/endpoints", tok, {"endpoint": {
                    "service_id": svc["id"], "interface": iface, "url": url, "region_id": REGION, "enabled": True}})


def net_find(tok, kind, name):
    _, _, body = call("GET", f"{NEUTRON}/v2.0/{kind}?name={name}", tok)
    items = body[kind]
    return items[0] if items else None


def net_ensure(tok, kind, singular, name, create):
    found = net_find(tok, kind, name)
    if found:
        return found
    create = dict(create, name=name)
    _, _, body = call("POST", f"{NEUTRON}/v2.0/{kind}", tok, {singular: create})
    return body[singular]


def neutron():
    admin = token("admin", ADMIN_PW, "admin")
    demo = token("demo", DEMO_PW, "demo")
    public = net_ensure(admin, "networks", "network", "public", {
        "router:external": True, "shared": True,
        "provider:network_type": "flat", "provider:physical_network": "public"})
    net_ensure(admin, "subnets", "subnet", "public-subnet", {
        "network_id": public["id"], "ip_version": 4, "cidr": "172.24.4.0/24",
        "gateway_ip": "172.24.4.1", "enable_dhcp": False})
    net = net_ensure(demo, "networks", "network", "demo-net", {})
    sub = net_ensure(demo, "subnets", "subnet", "demo-subnet", {
        "network_id": net["id"], "ip_version": 4, "cidr": "10.0.0.0/24", "enable_dhcp": False})
    router = net_find(demo, "routers", "demo-router")
    if router is None:
        _, _, body = call("POST", f"{NEUTRON}/v2.0/routers", demo, {"router": {
            "name": "demo-router", "external_gateway_info": {"network_id": public["id"]}}})
        router = body["router"]
        call("PUT", f"{NEUTRON}/v2.0/routers/{router['id']}/add_router_interface", demo, {"subnet_id": sub["id"]})


def envjson():
    admin = token("admin", ADMIN_PW, "admin")
    ids = {}
    for kind, name in (("networks", "public"), ("subnets", "public-subnet"),
                       ("networks", "demo-net"), ("subnets", "demo-subnet"), ("routers", "demo-router")):
        found = net_find(admin, kind, name)
        ids[name] = found["id"] if found else None
    print(json.dumps({
        "keystoneURL": KS, "neutronURL": NEUTRON, "region": REGION,
        "admin": {"username": "admin", "password": ADMIN_PW, "project": "admin", "domain": "Default"},
        "demo": {"username": "demo", "password": DEMO_PW, "project": "demo", "domain": "Default"},
        "ids": ids}, indent=2))


if __name__ == "__main__":
    {"keystone": keystone, "neutron": neutron, "envjson": envjson}[sys.argv[1]]()
