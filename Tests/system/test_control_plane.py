"""The control plane's trust rules against real relay processes: ending a session reaches the
node that holds it, a node made from a copy of `tls/` accepts the first node's provisioning
secrets, a reset device stays in its customer until an administrator moves it, long lists are
paged, captures are streamed, and the API key travels only over TLS and never in argv."""
import hashlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import test_admin_api as admin
from mqtt_fixtures import read, wait_for
from ports import free_port


def second_node(relay: admin.Relay, name: str):
    """Another `tunnel-relay serve` on the same data folder (the same store and TLS material),
    as a second node; (process, admin port)."""
    port, admin_port = free_port(), free_port()
    log = relay.folder / f"{name}.log"
    process = relay.processes.start([relay.bin / "tunnel-relay", "serve", "--data-dir", relay.data, "--listen",
                                     f"127.0.0.1:{port}", "--public-address", f"127.0.0.1:{port}",
                                     "--admin-listen", f"127.0.0.1:{admin_port}", "--node-name", name], log)
    node = admin.Relay.__new__(admin.Relay)
    node.__dict__.update(relay.__dict__)
    node.port, node.admin_port, node.log = port, admin_port, log
    wait_for(f"node {name}'s admin API", lambda: node.request("GET", "/healthz")[0] == 200, timeout=30, detail=lambda: read(log))
    return node


def start_agent(relay: admin.Relay, tmp_path: Path, device="p1"):
    sim_link = tmp_path / "bms.pty"
    relay.processes.start([relay.bin / "bms-sim", "--pty", sim_link], tmp_path / "sim.log")
    wait_for("the simulated BMS", lambda: sim_link.is_symlink(), timeout=20)
    settings = relay.folder / device / "settings.json"
    settings.write_text(json.dumps({"serial": {"device": str(sim_link)},
                                    "tunnel": {"relay": f"127.0.0.1:{relay.port}", "cert": "device.pem",
                                               "key": "device-key.pem", "ca": "relay-ca.pem"}}))
    log = tmp_path / "agent.log"
    relay.processes.start([relay.bin / "tunnel-agent", "run", "--config", settings, "--state-dir", tmp_path / "state"], log)
    wait_for(f"{device} online", lambda: relay.request("GET", f"/v1/devices/{device}", "admin")[1].get("online"), timeout=20,
             detail=lambda: read(log))


def exchange(port: int, request=b"VR1,?,D7\r\n") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        received, deadline = b"", time.time() + 5
        while b"\n" not in received.replace(request, b"") and time.time() < deadline:
            received += sock.recv(4096)
    return received


def test_a_session_ended_through_another_node_stops_within_2_s_and_the_key_never_shows_in_argv(tmp_path):
    relay = admin.Relay(tmp_path).start()
    try:
        node_b = second_node(relay, "node-b")
        start_agent(relay, tmp_path)
        port = free_port()
        connect_log = tmp_path / "connect.log"
        key = relay.keys["engineer"]
        handle = open(connect_log, "wb")
        connect = subprocess.Popen(
            [str(a) for a in [relay.bin / "tunnel-connect", "--device", "p1", "--relay", f"127.0.0.1:{relay.port}",
                              "--admin-url", f"https://127.0.0.1:{relay.admin_port}",
                              "--ca", relay.data / "tls" / "server-ca.pem", "--tcp", f"127.0.0.1:{port}"]],
            env=dict(os.environ, TUNNEL_API_KEY=key), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        relay.processes.started.append(connect)
        wait_for("the session", lambda: "Connected to device" in read(connect_log), timeout=30, detail=lambda: read(connect_log))
        assert b"VR1," in exchange(port).replace(b"VR1,?", b"")
        argv = Path(f"/proc/{connect.pid}/cmdline").read_bytes()
        assert key.encode() not in argv and key.split(".")[2].encode() not in argv, "the API key is not in argv"

        session = next(s for s in relay.request("GET", "/v1/sessions?deviceId=p1", "admin")[1] if s["state"] == "running")
        started = time.monotonic()
        status, reply, _ = node_b.request("DELETE", f"/v1/sessions/{session['id']}", "engineer")
        assert status == 200, reply
        wait_for("the session closed by node A", lambda: relay.request("GET", f"/v1/sessions/{session['id']}", "admin")[1]["state"] == "ended",
                 timeout=5, interval=0.02, detail=lambda: read(relay.log)[-3000:])
        elapsed = time.monotonic() - started
        assert elapsed <= 2.0, f"ended after {elapsed:.2f} s"
        ended = relay.request("GET", f"/v1/sessions/{session['id']}", "admin")[1]
        assert "ended by eng" in ended["endReason"], ended
        audit = relay.request("GET", "/v1/audit?deviceId=p1", "admin")[1]
        assert any(e["event"] == "session.end_requested" and e["actor"] == "api:eng" for e in audit), audit
    finally:
        relay.stop()


def test_a_copy_of_tls_made_right_after_init_is_a_working_node(tmp_path):
    relay = admin.Relay(tmp_path)
    key_file = relay.data / "tls" / "provisioning.key"
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600, "init makes the provisioning key"
    # The second node: its own folder, with tls/ copied from the first right after init.
    node_b = admin.Relay.__new__(admin.Relay)
    node_b.__dict__.update(relay.__dict__)
    node_b.data = tmp_path / "node-b"
    node_b.data.mkdir()
    subprocess.run(["cp", "-a", str(relay.data / "tls"), str(node_b.data / "tls")], check=True)
    node_b.port, node_b.admin_port, node_b.log = free_port(), free_port(), tmp_path / "node-b.log"
    node_b.start()
    try:
        secret = relay.cli("device", "secret", "--customer", "acme").strip()
        result = admin.register(node_b, "gw-copy", secret, tmp_path / "gw-copy")
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        node_b.stop()


def test_a_reset_device_stays_in_its_customer_until_an_administrator_moves_it(tmp_path):
    relay = admin.Relay(tmp_path).start()
    try:
        acme = relay.cli("device", "secret", "--customer", "acme").strip()
        beta = relay.cli("device", "secret", "--customer", "beta").strip()
        assert admin.register(relay, "gw-1", acme, tmp_path / "a").returncode == 0
        assert relay.request("POST", "/v1/devices/gw-1/reset", "admin")[0] == 200

        taken = admin.register(relay, "gw-1", beta, tmp_path / "b")
        assert taken.returncode == 2 and 'belongs to customer "acme"' in taken.stdout, taken.stdout + taken.stderr
        assert relay.request("GET", "/v1/devices/gw-1", "admin")[1]["customer"] == "acme"
        assert not (tmp_path / "b" / "device-key.pem").exists()

        assert relay.request("POST", "/v1/devices/gw-1/move", "engineer", {"customer": "beta"})[0] == 403
        status, reply, _ = relay.request("POST", "/v1/devices/gw-1/move", "admin", {"customer": "nobody"})
        assert status == 400 and "no customer nobody" in reply["error"]["message"], reply
        status, reply, _ = relay.request("POST", "/v1/devices/gw-1/move", "admin", {"customer": "beta", "colour": 1})
        assert status == 400 and reply["error"]["code"] == "unknownField", reply
        status, moved, _ = relay.request("POST", "/v1/devices/gw-1/move", "admin", {"customer": "beta"})
        assert status == 200 and moved["customer"] == "beta", moved
        admin.check_against_document("/v1/devices/{id}/move", "post", status, moved)
        audit = relay.request("GET", "/v1/audit?deviceId=gw-1", "admin")[1]
        assert [e["reason"] for e in audit if e["event"] == "device.moved"] == ["customer acme → beta"], audit
        assert admin.register(relay, "gw-1", beta, tmp_path / "c").returncode == 0, "now it registers in beta"
    finally:
        relay.stop()


def test_sessions_and_audit_entries_are_read_a_page_at_a_time(tmp_path):
    relay = admin.Relay(tmp_path).start()
    try:
        opened = [relay.request("POST", "/v1/sessions", "admin", {"deviceId": "p1", "mode": "monitor"})[1]["id"] for _ in range(5)]
        newest = relay.request("GET", "/v1/sessions?limit=2", "admin")[1]
        assert [s["id"] for s in newest] == opened[3:], newest
        previous = relay.request("GET", f"/v1/sessions?limit=2&before={newest[0]['id']}", "admin")[1]
        assert [s["id"] for s in previous] == opened[1:3]
        for query, name in [("limit=0", "limit"), ("limit=5000", "limit"), ("before=nope", "before")]:
            status, reply, _ = relay.request("GET", f"/v1/sessions?{query}", "admin")
            assert status == 400 and reply["error"]["message"].startswith(name), reply
            admin.check_against_document("/v1/sessions", "get", status, reply)

        last_two = relay.request("GET", "/v1/audit?limit=2", "admin")[1]
        ids = [e["id"] for e in last_two]
        assert ids == sorted(ids) and len(ids) == 2
        older = relay.request("GET", f"/v1/audit?limit=3&before={ids[0]}", "admin")[1]
        assert [e["id"] for e in older] == sorted(e["id"] for e in older) and older[-1]["id"] < ids[0]
        forward = relay.request("GET", f"/v1/audit?limit=2&after={older[0]['id']}", "admin")[1]
        assert [e["id"] for e in forward] == [e["id"] for e in older[1:3]], "the oldest two after the cursor"
        status, reply, _ = relay.request("GET", "/v1/audit?after=-4", "admin")
        assert status == 400 and "after" in reply["error"]["message"], reply
    finally:
        relay.stop()


def test_a_large_capture_is_streamed_to_the_client(tmp_path):
    relay = admin.Relay(tmp_path).start()
    try:
        session = relay.request("POST", "/v1/sessions", "admin", {"deviceId": "p1", "mode": "monitor"})[1]["id"]
        captures = relay.data / "captures"
        captures.mkdir(exist_ok=True)
        line = json.dumps({"t": 0, "dir": "from_device", "hex": "41" * 200}) + "\n"
        content = (line * 450_000).encode()  # about 200 MB: far above what streaming holds
        (captures / f"{session}.jsonl").write_bytes(content)
        pid = next(p.pid for p in relay.processes.started)

        def rss_kib() -> int:
            status = Path(f"/proc/{pid}/status").read_text()
            return int(next(l for l in status.splitlines() if l.startswith("VmRSS")).split()[1])

        before = rss_kib()
        digest, size = hashlib.sha256(), 0
        import urllib.request
        request = urllib.request.Request(f"https://127.0.0.1:{relay.admin_port}/v1/sessions/{session}/capture")
        request.add_header("Authorization", f"Bearer {relay.keys['admin']}")
        with urllib.request.urlopen(request, context=relay.context, timeout=60) as response:
            assert response.headers["Content-Type"] == "application/x-ndjson"
            # A client that stops reading: a streamed body waits for it; a buffered one sits whole in memory.
            time.sleep(1.5)
            stalled = rss_kib() - before
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        assert size == len(content) and digest.hexdigest() == hashlib.sha256(content).hexdigest()
        # Streamed, the relay holds its buffers and the socket's (18–22 MiB measured alone, up to 59 MiB
        # on a loaded machine); buffered, it would hold the whole 200 MB and more: half of it tells them apart.
        assert stalled < len(content) // 1024 // 2, \
            f"the relay holds {stalled} KiB more for a stalled download of {len(content) >> 20} MiB"
    finally:
        relay.stop()


def test_the_admin_api_is_reached_over_plain_http_only_on_this_machine(tmp_path):
    bin_dir = admin.bin_dir()
    env = dict(os.environ, TUNNEL_API_KEY="ak1.x.y", TUNNEL_PROVISIONING_SECRET="ps1.x")
    # 192.0.2.1 is a documentation address: the check refuses it before anything is sent.
    connect = subprocess.run([str(bin_dir / "tunnel-connect"), "--device", "p1", "--relay", "127.0.0.1:1",
                              "--admin-url", "http://192.0.2.1:8443", "--tcp", "127.0.0.1:0"],
                             env=env, capture_output=True, text=True, timeout=30)
    assert connect.returncode != 0 and "plain http is allowed only to this machine" in connect.stderr, connect.stderr
    register = subprocess.run([str(bin_dir / "tunnel-agent"), "register", "--admin-url", "http://relay.example.com",
                               "--device-id", "gw-1", "--out", str(tmp_path / "out")],
                              env=env, capture_output=True, text=True, timeout=30)
    assert register.returncode != 0 and "plain http is allowed only to this machine" in register.stderr, register.stderr
    ftp = subprocess.run([str(bin_dir / "tunnel-connect"), "--device", "p1", "--relay", "127.0.0.1:1",
                          "--admin-url", "ftp://127.0.0.1", "--tcp", "127.0.0.1:0"],
                         env=env, capture_output=True, text=True, timeout=30)
    assert ftp.returncode != 0 and "expected https://" in ftp.stderr, ftp.stderr
    assert not (tmp_path / "out").exists()
