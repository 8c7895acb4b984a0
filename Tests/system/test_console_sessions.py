"""The console's second slice (docs/CONSOLE.md, issue #17) against a real relay, agent and
simulated BMS, in a real headless Chromium: a viewer's connect button opens a monitor
session; an engineer's connect page gives a command that this test runs and talks G1 through;
the sessions page lists it live and an administrator ends it (tunnel-connect exits); a viewer's
forged end is refused; the audit page filters and its CSV export holds the filtered rows; a
viewer watches a session live, and its creator replays its capture."""
import csv
import html
import io
import json
import re
import shlex
import socket
import subprocess
import time
from pathlib import Path

import pytest

from mqtt_fixtures import Processes, build_binaries, read, wait_for
from ports import free_port
from test_console import PASSWORDS, Relay, browser, form_token, while_page_changes  # noqa: F401 (browser is a fixture)

By = pytest.importorskip("selenium.webdriver.common.by").By
Select = pytest.importorskip("selenium.webdriver.support.select").Select

ENGINEER_PASSWORD = "engineer-password-789"


class SessionsRelay(Relay):
    """test_console's relay, recording sessions, plus an engineer eng of acme and p1's agent on
    a simulated BMS."""

    serve_options = ["--capture"]

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.cli("user", "add", "eng", "--role", "engineer", "--customer", "acme")
        self.cli("user", "passwd", "eng", stdin=ENGINEER_PASSWORD + "\n")

    def start_bms(self):
        sim_link = self.folder / "bms.pty"
        self.processes.start([self.bin / "bms-sim", "--pty", sim_link], self.folder / "sim.log")
        wait_for("the simulated BMS", lambda: sim_link.is_symlink(), timeout=20)
        settings = self.folder / "p1" / "settings.json"
        settings.write_text(json.dumps({"serial": {"device": str(sim_link)},
                                        "tunnel": {"relay": f"127.0.0.1:{self.port}", "cert": "device.pem",
                                                   "key": "device-key.pem", "ca": "relay-ca.pem"}}))
        self.processes.start([self.bin / "tunnel-agent", "run", "--config", settings, "--state-dir",
                              self.folder / "state"], self.folder / "agent.log")
        wait_for("p1 online", lambda: self.api("/v1/devices/p1").get("online"), timeout=30,
                 detail=lambda: read(self.folder / "agent.log"))


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    relay = SessionsRelay(tmp_path_factory.mktemp("console-sessions")).start()
    relay.start_bms()
    yield relay
    relay.stop()
    print(read(relay.log)[-4000:])


def password(user):
    return ENGINEER_PASSWORD if user == "eng" else PASSWORDS[user]


def browser_sign_in(browser, relay, user):
    browser.get(relay.url + "/console/sign-in")
    browser.find_element(By.ID, "user").send_keys(user)
    browser.find_element(By.ID, "password").send_keys(password(user))
    browser.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for("the fleet page", lambda: browser.find_elements(By.CSS_SELECTOR, "table.fleet"), timeout=10,
             detail=lambda: browser.page_source[:2000])


def connect(relay, user, mode):
    """Signs `user` in over HTTP and posts the device page's connect form: the page's HTML."""
    cookies, _ = relay.sign_in(user, password(user))
    status, _, page = relay.call("GET", "/console/devices/p1", cookies=cookies)
    assert status == 200, page
    status, _, page = relay.call("POST", "/console/devices/p1/connect", {"csrf": form_token(page), "mode": mode},
                                 cookies=cookies)
    assert status == 200, f"{status} {page}"
    return page


def session_id_of(page) -> str:
    match = re.search(r'href="/console/sessions/([^"]+)"', page)
    assert match, page[:3000]
    return match.group(1)


def test_a_viewers_connect_button_opens_a_monitor_session(relay, browser):
    browser_sign_in(browser, relay, "vic")
    browser.get(relay.url + "/console/devices/p1")
    assert not browser.find_elements(By.ID, "connect-control"), "a viewer is offered no control session"
    assert not browser.find_elements(By.ID, "connect-take-over")
    browser.find_element(By.ID, "connect-monitor").click()
    wait_for("the connect page", lambda: browser.find_elements(By.CSS_SELECTOR, "a.connect-url"), timeout=10,
             detail=lambda: browser.page_source[:2000])
    url = browser.find_element(By.CSS_SELECTOR, "a.connect-url").text
    assert re.fullmatch(rf"bmstunnel://127\.0\.0\.1:{relay.port}/st1\.\S+", url), url
    assert browser.find_element(By.CSS_SELECTOR, ".expires").text
    session = session_id_of(browser.page_source)
    record = relay.api(f"/v1/sessions/{session}")
    assert record["mode"] == "monitor" and record["createdBy"] == "vic", record
    # A viewer asking for control anyway is refused by the same rule as the API.
    cookies, token = relay.sign_in("vic", PASSWORDS["vic"])
    status, _, text = relay.call("POST", "/console/devices/p1/connect", {"csrf": token, "mode": "control"}, cookies=cookies)
    assert status == 403 and "may not open control sessions" in text, (status, text)


def run_connect_command(relay, page, log: Path):
    """Runs the connect page's TCP command (on a free port instead of 7000): (process, port)."""
    match = re.search(r'<pre class="command" id="command-tcp">([^<]+)</pre>', page)
    assert match, page[:3000]
    argv = shlex.split(html.unescape(match.group(1)))
    assert argv[0] == "tunnel-connect" and argv[1:3] == ["--tcp", "127.0.0.1:7000"], argv
    assert argv[3].startswith("bmstunnel://"), argv
    port = free_port()
    argv = [str(relay.bin / "tunnel-connect"), "--tcp", f"127.0.0.1:{port}", argv[3],
            "--ca", str(relay.data / "tls" / "server-ca.pem")]
    with open(log, "wb") as handle:
        client = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    relay.processes.started.append(client)
    wait_for("the session", lambda: "Connected to device" in read(log), timeout=30, detail=lambda: read(log))
    return client, port


def shown_rows(browser) -> list:
    """The cells of the sentence rows shown (not hidden) on a watch or replay page; [] while a
    row is being replaced."""
    try:
        return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                for row in browser.find_elements(By.CSS_SELECTOR, "[data-sentences] tr") if row.is_displayed()]
    except Exception:  # a row replaced while read
        return []


def ask(sock, request: bytes, name: bytes) -> bytes:
    """Sends a G1 request and reads until the BMS's answer of that name arrives."""
    sock.sendall(request)
    received = b""
    deadline = time.time() + 10
    while time.time() < deadline:
        received += sock.recv(4096)
        lines = received.split(b"\n")
        answer = next((line for line in lines[:-1] if line.startswith(name + b",") and not line.startswith(name + b",?")), None)
        if answer:
            return answer
    raise AssertionError(f"no {name!r} answer: {received!r}")


def test_an_engineers_command_reaches_the_bms_and_an_administrator_ends_it(relay, browser, tmp_path):
    page = connect(relay, "eng", "control")
    session = session_id_of(page)
    log = tmp_path / "connect.log"
    client, port = run_connect_command(relay, page, log)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        ask(sock, b"VR1,?,D7\r\n", b"VR1")

        # The sessions page lists it live; an administrator ends it, with a confirmation.
        browser_sign_in(browser, relay, "boss")
        browser.get(relay.url + "/console/sessions?device=p1&state=live")
        row = browser.find_element(By.CSS_SELECTOR, f'tr[data-session-id="{session}"]')
        assert row.find_element(By.CSS_SELECTOR, ".state").text == "live", row.text
        assert "eng" in row.text and "control" in row.text
        assert "10 so far" in row.text, f"the VR1 request's 10 bytes, counted live: {row.text}"
        browser.get(relay.url + f"/console/sessions/{session}")
        browser.find_element(By.CSS_SELECTOR, "form.end-session input[name=confirm]").click()
        browser.find_element(By.CSS_SELECTOR, "form.end-session button").click()
        wait_for("tunnel-connect to exit", lambda: client.poll() is not None, timeout=15, detail=lambda: read(log))
    wait_for("the session's end", lambda: relay.api(f"/v1/sessions/{session}").get("endedAt"), timeout=10)
    browser.get(relay.url + f"/console/sessions/{session}")
    assert browser.find_element(By.CSS_SELECTOR, "table.record .state").text == "ended"
    assert not browser.find_elements(By.CSS_SELECTOR, "form.end-session")


def test_a_viewer_cannot_end_a_session_even_with_a_valid_token(relay):
    page = connect(relay, "eng", "monitor")
    session = session_id_of(page)
    cookies, token = relay.sign_in("vic", PASSWORDS["vic"])
    status, _, page = relay.call("GET", f"/console/sessions/{session}", cookies=cookies)
    assert status == 200 and "end-session" not in page, "the page offers a viewer no End button"
    status, _, text = relay.call("POST", f"/console/sessions/{session}/end", {"csrf": token, "confirm": "yes"}, cookies=cookies)
    assert status == 403 and "only an administrator may end a session" in text, (status, text)
    assert relay.api(f"/v1/sessions/{session}").get("endedAt") is None
    # And the audit log is an administrator's, as in the API.
    assert relay.call("GET", "/console/audit", cookies=cookies)[0] == 403
    assert relay.call("GET", "/console/audit.csv", cookies=cookies)[0] == 403


def test_the_audit_page_filters_and_exports_the_filtered_rows_as_csv(relay):
    connect(relay, "eng", "monitor")
    cookies, _ = relay.sign_in("boss", PASSWORDS["boss"])
    query = "device=p1&user=eng&event=session.created"
    status, _, page = relay.call("GET", f"/console/audit?{query}", cookies=cookies)
    assert status == 200, page
    body = page.split('<table class="audit">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td><td>([^<]*)</td>", body)
    assert rows and all(event == "session.created" for _, event in rows), rows
    link = re.search(r'<a href="([^"]+)" class="export"', page)
    assert link and html.unescape(link.group(1)) == f"/console/audit.csv?{query}", page
    status, headers, text = relay.call("GET", f"/console/audit.csv?{query}", cookies=cookies)
    assert status == 200 and headers["Content-Type"].startswith("text/csv"), (status, text)
    assert headers["Content-Disposition"].startswith("attachment"), headers
    table = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["id"] for row in table) == sorted(id for id, _ in rows), (table, rows)
    assert all(row["event"] == "session.created" and row["device"] == "p1" for row in table), table
    status, _, text = relay.call("GET", "/console/audit?since=yesterday", cookies=cookies)
    assert status == 400 and "since:" in text, text


def test_install_handler_registers_the_scheme_in_a_temporary_xdg_data_home(tmp_path):
    import os
    program = str(build_binaries(["tunnel-connect"]) / "tunnel-connect")
    data = tmp_path / "data"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "xdg-mime").write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'xdg-mime.args'}\n")
    (fake / "xdg-mime").chmod(0o755)
    entry = data / "applications" / "tunnel-connect-bmstunnel.desktop"

    def run(*args, path):
        env = dict(os.environ, XDG_DATA_HOME=str(data), PATH=path)
        return subprocess.run([program, "install-handler", *args], env=env, capture_output=True, text=True, timeout=30)

    dry = run("--dry-run", path=f"{fake}:/usr/bin:/bin")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"Would write {entry}" in dry.stdout and "MimeType=x-scheme-handler/bmstunnel;" in dry.stdout, dry.stdout
    assert not entry.exists() and not (tmp_path / "xdg-mime.args").exists(), "a dry run changes nothing"

    done = run(path=f"{fake}:/usr/bin:/bin")
    assert done.returncode == 0, done.stdout + done.stderr
    text = entry.read_text()
    assert f"\nExec={os.path.realpath(program)} %u\n" in text and "\nMimeType=x-scheme-handler/bmstunnel;\n" in text, text
    assert (tmp_path / "xdg-mime.args").read_text().split() == [
        "default", "tunnel-connect-bmstunnel.desktop", "x-scheme-handler/bmstunnel"]

    entry.unlink()
    without = run(path=str(tmp_path / "empty"))
    assert without.returncode == 0 and entry.exists(), without.stdout + without.stderr
    assert "xdg-mime is not installed" in without.stdout, without.stdout


def test_a_take_over_needs_a_reason_which_the_audit_page_and_csv_keep_inert(relay):
    hostile = '=HYPERLINK("http://x")<script>alert(1)</script>'
    cookies, token = relay.sign_in("boss", PASSWORDS["boss"])
    form = {"csrf": token, "mode": "control", "takeOver": "yes"}
    status, _, text = relay.call("POST", "/console/devices/p1/connect", dict(form, reason="  "), cookies=cookies)
    assert status == 400 and "reason:" in text, (status, text)
    status, _, page = relay.call("POST", "/console/devices/p1/connect", dict(form, reason=hostile), cookies=cookies)
    assert status == 200, page
    session = session_id_of(page)
    assert relay.api(f"/v1/sessions/{session}")["takeOver"] is True
    status, _, page = relay.call("GET", "/console/audit?event=session.take_over", cookies=cookies)
    assert status == 200 and "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, page[-3000:]
    status, _, text = relay.call("GET", "/console/audit.csv?event=session.take_over", cookies=cookies)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["reason"] for row in rows] == ["'" + hostile] and rows[0]["session"] == session, text
    # The engineer's page offers no take-over, and the server refuses it anyway.
    cookies, token = relay.sign_in("eng", ENGINEER_PASSWORD)
    assert "connect-take-over" not in relay.call("GET", "/console/devices/p1", cookies=cookies)[2]
    status, _, text = relay.call("POST", "/console/devices/p1/connect", {"csrf": token, "mode": "control", "takeOver": "yes",
                                                                          "reason": "mine"}, cookies=cookies)
    assert status == 403 and "only administrators may take a device over" in text, (status, text)


def test_a_viewer_watches_the_engineers_session_decoded_in_the_browser(relay, browser, tmp_path):
    page = connect(relay, "eng", "control")
    session = session_id_of(page)
    client, port = run_connect_command(relay, page, tmp_path / "connect.log")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            browser_sign_in(browser, relay, "vic")
            browser.get(relay.url + f"/console/sessions/{session}")
            browser.find_element(By.ID, "watch-link").click()
            wait_for("vic among the watchers", lambda: "vic" in browser.find_element(By.CSS_SELECTOR, "[data-watchers]").text,
                     timeout=10, detail=lambda: browser.page_source[:3000])
            cookies, _ = relay.sign_in("eng", ENGINEER_PASSWORD)
            assert "Watching now: vic." in relay.call("GET", f"/console/sessions/{session}", cookies=cookies)[2]
            wait_for("tunnel-connect to say who watches",
                     lambda: "Watching this session in the browser: vic" in read(tmp_path / "connect.log"), timeout=5,
                     detail=lambda: read(tmp_path / "connect.log"))

            ask(sock, b"VR1,?,D7\r\n", b"VR1")  # the BMS broadcasts other sentences meanwhile

            def vr1_rows():
                shown = [r for r in shown_rows(browser) if r[2] == "VR1"]
                return shown if len(shown) >= 2 else None
            shown = wait_for("the request and its answer, decoded", vr1_rows, timeout=5, detail=lambda: browser.page_source[-3000:])
            assert shown[0][1:4] == ["→ BMS", "VR1", "VR1,?,D7"] and "VR1 request" in shown[0][4], shown
            assert shown[1][1:3] == ["← BMS", "VR1"] and "firmware" in shown[1][4], shown
            ask(sock, b"CV1,?,78\r\n", b"CV1")
            wait_for("the CV1 answer",
                     lambda: any(r[1] == "← BMS" and r[2] == "CV1" and "pack" in r[4] for r in shown_rows(browser)), timeout=5)

            browser.find_element(By.CSS_SELECTOR, "[data-watch-filter]").send_keys("CV1")
            wait_for("only CV1 rows", lambda: shown_rows(browser) and all(r[2] == "CV1" for r in shown_rows(browser)), timeout=5)
            browser.find_element(By.CSS_SELECTOR, "[data-watch-filter]").clear()
            browser.find_element(By.CSS_SELECTOR, "[data-watch-filter]").send_keys(" ")
            browser.find_element(By.CSS_SELECTOR, "[data-watch-pause]").click()
            before = len(shown_rows(browser))
            ask(sock, b"VR1,?,D7\r\n", b"VR1")

            def held():
                match = re.search(r"(\d+) held back", browser.find_element(By.CSS_SELECTOR, "[data-watch-state]").text)
                return int(match.group(1)) if match and int(match.group(1)) >= 2 else None
            waiting = wait_for("the request and answer held back", held, timeout=5)
            assert len(shown_rows(browser)) == before
            browser.find_element(By.CSS_SELECTOR, "[data-watch-pause]").click()
            wait_for("the held sentences shown", lambda: len(shown_rows(browser)) >= before + waiting, timeout=5)
            assert [r[1] for r in shown_rows(browser) if r[2] == "VR1"][-2:] == ["→ BMS", "← BMS"]
            # The viewer leaves; the engineer is told.
            browser.get(relay.url + f"/console/sessions/{session}")
            wait_for("tunnel-connect to say nobody watches",
                     lambda: "Nobody watches this session in the browser now" in read(tmp_path / "connect.log"), timeout=10,
                     detail=lambda: read(tmp_path / "connect.log"))
            browser.find_element(By.ID, "watch-link").click()
            wait_for("vic watching again", lambda: "vic" in browser.find_element(By.CSS_SELECTOR, "[data-watchers]").text,
                     timeout=10)
    finally:
        Processes.stop(client)
    wait_for("the watch page to say the session ended",
             lambda: "The session ended." in browser.find_element(By.CSS_SELECTOR, "[data-watch-state]").text, timeout=10)
    # Another customer's viewer cannot even see the session; a session that ended has nothing to watch.
    assert relay.call("GET", f"/console/sessions/{session}/watch/events")[0] == 303
    cookies, _ = relay.sign_in("vic", PASSWORDS["vic"])
    assert relay.call("GET", f"/console/sessions/{session}/watch/events", cookies=cookies)[0] == 404


def test_the_sessions_creator_replays_its_capture_and_links_to_a_moment(relay, browser, tmp_path):
    page = connect(relay, "eng", "control")
    session = session_id_of(page)
    client, port = run_connect_command(relay, page, tmp_path / "connect.log")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            ask(sock, b"VR1,?,D7\r\n", b"VR1")
            ask(sock, b"CV1,?,78\r\n", b"CV1")
    finally:
        Processes.stop(client)
    wait_for("the session's end", lambda: relay.api(f"/v1/sessions/{session}").get("endedAt"), timeout=10)
    replay = f"/console/sessions/{session}/replay"

    # Only its creator and administrators may replay it, as with the API's capture.
    cookies, _ = relay.sign_in("vic", PASSWORDS["vic"])
    assert 'id="replay-link"' not in relay.call("GET", f"/console/sessions/{session}", cookies=cookies)[2]
    for path in [replay, f"/console/sessions/{session}/capture.json", f"/console/sessions/{session}/capture.jsonl"]:
        status, _, text = relay.call("GET", path, cookies=cookies)
        assert status == 403 and "only the session's creator (eng) or an administrator" in html.unescape(text), (path, status)
    cookies, _ = relay.sign_in("boss", PASSWORDS["boss"])
    assert relay.call("GET", replay, cookies=cookies)[0] == 200
    cookies, _ = relay.sign_in("eng", ENGINEER_PASSWORD)
    status, headers, text = relay.call("GET", f"/console/sessions/{session}/capture.jsonl", cookies=cookies)
    assert status == 200 and "attachment" in headers["Content-Disposition"], (status, headers)
    records = [json.loads(line) for line in text.splitlines()]
    assert any("VR1,?,D7" in record["lines"] and record["dir"] == "to_device" for record in records), records[:5]

    browser_sign_in(browser, relay, "eng")
    browser.get(relay.url + f"/console/sessions/{session}")
    browser.find_element(By.ID, "replay-link").click()

    def loaded():
        states = browser.find_elements(By.CSS_SELECTOR, "[data-replay-state]")  # none until the page has loaded
        return while_page_changes(lambda: states and re.search(r"(\d+) sentences over", states[0].text), None)
    total = int(wait_for("the capture loaded", loaded, timeout=10, detail=lambda: browser.page_source[-3000:]).group(1))

    def at_start(rows):
        """The rows are the first moment's (one record's lines share its time), not all."""
        return 1 <= len(rows) < total and all(row[1] == "+0.000 s" for row in rows)
    assert at_start(shown_rows(browser)), "the replay starts at its first sentence"

    # Played at 50×, every sentence appears in order, decoded; then it stops by itself.
    Select(browser.find_element(By.CSS_SELECTOR, "[data-replay-speed]")).select_by_value("50")
    browser.find_element(By.CSS_SELECTOR, "[data-replay-play]").click()
    wait_for("the end of the replay", lambda: browser.find_element(By.CSS_SELECTOR, "[data-replay-play]").text == "Play"
             and f"({total} of {total} sentences)" in browser.find_element(By.CSS_SELECTOR, "[data-replay-position]").text,
             timeout=30, detail=lambda: browser.find_element(By.CSS_SELECTOR, "[data-replay-position]").text)
    shown = shown_rows(browser)
    assert len(shown) == total
    request = next(index for index, row in enumerate(shown) if row[4] == "VR1,?,D7")
    assert shown[request][2:4] == ["→ BMS", "VR1"] and "VR1 request" in shown[request][5], shown[request]
    assert any(row[2:4] == ["← BMS", "VR1"] and "firmware" in row[5] for row in shown[request:]), shown
    cv1 = next(index for index, row in enumerate(shown) if row[4] == "CV1,?,78")
    assert any(row[2:4] == ["← BMS", "CV1"] and "pack" in row[5] for row in shown[cv1:]), shown

    # A moment's link, opened afresh, shows the replay up to that moment and no further.
    moment = browser.find_elements(By.CSS_SELECTOR, "[data-sentences] tr")[cv1].find_element(By.TAG_NAME, "a").get_attribute("href")
    assert re.search(r"#t=\d+\.\d{3}$", moment), moment
    browser.get("about:blank")
    browser.get(moment)
    wait_for("the replay at the linked moment", lambda: browser.find_elements(By.CSS_SELECTOR, "[data-sentences] tr.current"),
             timeout=10, detail=lambda: browser.page_source[-3000:])
    current = browser.find_element(By.CSS_SELECTOR, "[data-sentences] tr.current")
    assert current.find_element(By.TAG_NAME, "a").get_attribute("href") == moment
    at_moment = shown_rows(browser)
    assert at_moment[-1][1] == shown[cv1][1] and len(at_moment) < total, (at_moment[-3:], total)
    assert browser.find_element(By.CSS_SELECTOR, "[data-replay-link]").get_attribute("href") == moment

    # Seeking back to the start shows the first sentence only; the filter narrows what is shown.
    browser.execute_script("var bar = document.querySelector('[data-replay-seek]'); bar.value = '0';"
                           "bar.dispatchEvent(new Event('input'));")
    assert at_start(shown_rows(browser))
    browser.get(relay.url + replay + "#t=100000")
    wait_for("the whole replay", lambda: len(shown_rows(browser)) == total, timeout=10)
    browser.find_element(By.CSS_SELECTOR, "[data-replay-filter]").send_keys("CV1")
    wait_for("only CV1 rows", lambda: shown_rows(browser) and all("CV1" in " ".join(row) for row in shown_rows(browser)),
             timeout=5)
