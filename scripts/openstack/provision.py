"""Idempotent REST provisioning of the test cloud (run with /usr/bin/python3; stdlib only).

  provision.py keystone   projects service+demo+alt, users demo/alt and one per service, roles,
                          services + endpoints (network; with OSTEST_NOVA=1 also compute, placement, image)
  provision.py neutron    external network `public` + subnet (admin), `demo-net`/`demo-subnet` and a
                          router with gateway + interface (demo), so floating IPs can be associated;
                          the operator's networks: `avi-mgmt` (admin, shared), `vip-net` 19.1.1.0/24 and
                          `server-net` 20.0.0.0/24 (demo; vip-subnet on demo-router), `alt-vip-net` (alt)
  provision.py nova       flavors m1.tiny (1), m1.small (2), x1.nohost (99, fits no host), images `avi-se` and `cirros-fake` (tiny raw)
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
ALT_PW = os.environ.get("OSTEST_ALT_PASSWORD", "alt-secret")
WITH_NOVA = os.environ.get("OSTEST_NOVA", "1") == "1"
NOVA = os.environ.get("NOVA_URL", "")
PLACEMENT = os.environ.get("PLACEMENT_URL", "")
GLANCE = os.environ.get("GLANCE_URL", "")


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
                for p in ("admin", "service", "demo", "alt")}
    admin = find(tok, "users", name="admin")
    # Two tenant projects, each with its own member user; admin is admin in both.
    for name, pw in (("demo", DEMO_PW), ("alt", ALT_PW)):
        user = ensure(tok, "users", "user", {"name": name},
                      {"name": name, "domain_id": "default", "password": pw, "enabled": True})
        grant(tok, projects[name], admin["id"], roles["admin"])
        grant(tok, projects[name], user["id"], roles["member"])
    # One service user per OpenStack service (admin in `service`).
    for name in ("neutron", "nova", "placement", "glance") if WITH_NOVA else ("neutron",):
        user = ensure(tok, "users", "user", {"name": name},
                      {"name": name, "domain_id": "default", "password": SERVICE_PW, "enabled": True})
        grant(tok, projects["service"], user["id"], roles["admin"])
    services = [("neutron", "network", NEUTRON + "/")]
    if WITH_NOVA:
        services += [("nova", "compute", NOVA), ("placement", "placement", PLACEMENT), ("glance", "image", GLANCE)]
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


def subnet_on_router(tok, router, subnet):
    _, _, body = call("GET", f"{NEUTRON}/v2.0/ports?device_id={router['id']}&fixed_ips=subnet_id%3D{subnet['id']}", tok)
    if not body["ports"]:
        call("PUT", f"{NEUTRON}/v2.0/routers/{router['id']}/add_router_interface", tok, {"subnet_id": subnet["id"]})


def operator_networks():
    """What the operator's plain-Neutron e2e needs; names as in the simulator's seed topology."""
    admin = token("admin", ADMIN_PW, "admin")
    demo = token("demo", DEMO_PW, "demo")
    alt = token("alt", ALT_PW, "alt")
    public = net_find(admin, "networks", "public")
    mgmt = net_ensure(admin, "networks", "network", "avi-mgmt", {"shared": True})
    net_ensure(admin, "subnets", "subnet", "avi-mgmt-subnet", {
        "network_id": mgmt["id"], "ip_version": 4, "cidr": "10.10.10.0/24", "enable_dhcp": False})
    vip = net_ensure(demo, "networks", "network", "vip-net", {})
    vip_sub = net_ensure(demo, "subnets", "subnet", "vip-subnet", {
        "network_id": vip["id"], "ip_version": 4, "cidr": "19.1.1.0/24", "enable_dhcp": False})
    srv = net_ensure(demo, "networks", "network", "server-net", {})
    net_ensure(demo, "subnets", "subnet", "server-subnet", {
        "network_id": srv["id"], "ip_version": 4, "cidr": "20.0.0.0/24", "enable_dhcp": False})
    router = net_find(demo, "routers", "demo-router")
    subnet_on_router(demo, router, vip_sub)
    alt_vip = net_ensure(alt, "networks", "network", "alt-vip-net", {})
    alt_sub = net_ensure(alt, "subnets", "subnet", "alt-vip-subnet", {
        "network_id": alt_vip["id"], "ip_version": 4, "cidr": "19.2.2.0/24", "enable_dhcp": False})
    alt_router = net_find(alt, "routers", "alt-router")
    if alt_router is None:
        _, _, body = call("POST", f"{NEUTRON}/v2.0/routers", alt, {"router": {
            "name": "alt-router", "external_gateway_info": {"network_id": public["id"]}}})
        alt_router = body["router"]
    subnet_on_router(alt, alt_router, alt_sub)


def nova():
    admin = token("admin", ADMIN_PW, "admin")
    _, _, body = call("GET", f"{NOVA}/flavors", admin)
    have = {f["name"] for f in body["flavors"]}
    # x1.nohost is larger than the fake host: a boot with it goes to ERROR "No valid host".
    for fid, name, ram, disk in (("1", "m1.tiny", 512, 1), ("2", "m1.small", 2048, 20),
                                 ("99", "x1.nohost", 100_000_000, 1)):
        if name not in have:
            call("POST", f"{NOVA}/flavors", admin, {"flavor": {
                "id": fid, "name": name, "ram": ram, "vcpus": 1, "disk": disk}})
    for name in ("avi-se", "cirros-fake"):
        _, _, body = call("GET", f"{GLANCE}/v2/images?name={name}", admin)
        image = body["images"][0] if body["images"] else None
        if image is None:
            _, _, image = call("POST", f"{GLANCE}/v2/images", admin, {
                "name": name, "disk_format": "raw", "container_format": "bare", "visibility": "public"})
        if image["status"] == "queued":
            req = urllib.request.Request(f"{GLANCE}/v2/images/{image['id']}/file", data=bytes(65536), method="PUT")
            req.add_header("Content-Type", "application/octet-stream")
            req.add_header("X-Auth-Token", admin)
            with urllib.request.urlopen(req, timeout=60):
                pass


def envjson():
    admin = token("admin", ADMIN_PW, "admin")
    ids = {}
    for kind, name in (("networks", "public"), ("subnets", "public-subnet"),
                       ("networks", "demo-net"), ("subnets", "demo-subnet"), ("routers", "demo-router"),
                       ("networks", "avi-mgmt"), ("subnets", "avi-mgmt-subnet"), ("networks", "vip-net"),
                       ("subnets", "vip-subnet"), ("networks", "server-net"), ("subnets", "server-subnet"),
                       ("networks", "alt-vip-net"), ("subnets", "alt-vip-subnet"), ("routers", "alt-router")):
        found = net_find(admin, kind, name)
        ids[name] = found["id"] if found else None
    for name in ("admin", "demo", "alt"):
        ids[f"project-{name}"] = find(admin, "projects", name=name)["id"]
    out = {
        "keystoneURL": KS, "neutronURL": NEUTRON, "region": REGION, "nova": WITH_NOVA,
        "admin": {"username": "admin", "password": ADMIN_PW, "project": "admin", "domain": "Default"},
        "demo": {"username": "demo", "password": DEMO_PW, "project": "demo", "domain": "Default"},
        "alt": {"username": "alt", "password": ALT_PW, "project": "alt", "domain": "Default"},
        "ids": ids}
    if WITH_NOVA:
        out.update(novaURL=NOVA, placementURL=PLACEMENT, glanceURL=GLANCE)
        for name in ("avi-se", "cirros-fake"):
            _, _, body = call("GET", f"{GLANCE}/v2/images?name={name}", admin)
            ids[f"image-{name}"] = body["images"][0]["id"] if body["images"] else None
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    {"keystone": keystone, "neutron": neutron, "networks": operator_networks, "nova": nova,
     "envjson": envjson}[sys.argv[1]]()
