"""The relay's web console (docs/CONSOLE.md) against a real `tunnel-relay serve`, a real agent,
over real HTTPS, in a real headless Chromium: password sign-in and sign-out, what a viewer
sees, a hostile customer name shown as text, the anti-forgery check, expired and unknown
cookies, live presence within 2 s, the sign-in limit with its audit entries, and a device's
live telemetry with its chart (real mosquitto, simulated BMS and agent)."""
import hashlib
import json
import re
import shutil
import sqlite3
import ssl
import subprocess
import time
from pathlib import Path

import pytest

import console_http
from console_http import cookie_value, form_token  # noqa: F401 (the other console tests take them from here)
from mqtt_fixtures import Processes, build_binaries, read, wait_for
from ports import free_port
from peers import import_peer, missing_peer

webdriver = import_peer("selenium.webdriver", "Selenium (Debian python3-selenium) drives the browser")
By = import_peer("selenium.webdriver.common.by", "Selenium (Debian python3-selenium)").By
exceptions = import_peer("selenium.common.exceptions", "Selenium (Debian python3-selenium)")
ChromeService = import_peer("selenium.webdriver.chrome.service", "Selenium (Debian python3-selenium)").Service

HOSTILE = "<script>alert(1)</script>"
PASSWORDS = {"boss": "boss-password-123", "vic": "viewer-password-456"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class Relay:
    """A relay with customer acme (named HOSTILE) owning p1, customer beta owning p2, an
    administrator boss and a viewer vic of acme, both with passwords."""

    def __init__(self, folder: Path):
        self.bin = build_binaries(["tunnel-relay", "tunnel-agent", "bms-sim", "tunnel-connect"])
        self.folder = folder
        self.data = folder / "relay"
        self.processes = Processes(folder)
        self.port = free_port()
        self.admin_port = free_port()
        self.log = folder / "relay.log"
        self.cli("init", "--hostname", "127.0.0.1")
        self.cli("customer", "add", "acme", "--name", HOSTILE)
        for device, customer in [("p1", "acme"), ("p2", "beta")]:
            self.cli("device", "add", device, "--customer", customer, "--bundle", folder / device)
        self.cli("user", "add", "boss", "--role", "admin")
        self.cli("user", "add", "vic", "--role", "viewer", "--customer", "acme")
        out = self.cli("key", "create", "--user", "boss")
        self.admin_key = next(word for word in out.split() if word.startswith("ak1."))
        for user, password in PASSWORDS.items():
            self.cli("user", "passwd", user, stdin=password + "\n")
        self.context = ssl.create_default_context(cafile=str(self.data / "tls" / "server-ca.pem"))
        self.agent = None

    def cli(self, *args, stdin=None):
        result = self.run_cli(*args, stdin=stdin)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def run_cli(self, *args, stdin=None):
        return subprocess.run([str(self.bin / "tunnel-relay"), *map(str, args), "--data-dir", str(self.data)],
                              capture_output=True, text=True, timeout=60, input=stdin if stdin is not None else "")

    serve_options: list = []

    def start(self):
        self.processes.start([self.bin / "tunnel-relay", "serve", "--data-dir", self.data, "--listen",
                              f"127.0.0.1:{self.port}", "--public-address", f"127.0.0.1:{self.port}",
                              "--admin-listen", f"127.0.0.1:{self.admin_port}", *self.serve_options], self.log)
        wait_for("the admin port", lambda: self.call("GET", "/healthz")[0] == 200, timeout=30,
                 detail=lambda: read(self.log))
        return self

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.admin_port}"

    def call(self, method, path, form=None, cookies=None, headers=None):
        """(status, headers, text) without following redirects; status 0 when unreachable."""
        return console_http.call(self.admin_port, self.context, method, path, form, cookies, headers)

    def api(self, path):
        status, _, text = self.call("GET", path, headers={"Authorization": f"Bearer {self.admin_key}"})
        assert status == 200, f"{path}: {status} {text}"
        return json.loads(text)

    def sign_in(self, user, password):
        """Signs in over HTTP as a browser would: (cookies, csrf token of the signed-in pages)."""
        cookies = console_http.sign_in(self.admin_port, self.context, user, password)
        status, _, page = self.call("GET", "/console", cookies=cookies)
        assert status == 200, page
        return cookies, form_token(page)

    def start_agent(self, folder: Path):
        bundle = self.folder / "p1"
        settings = bundle / "settings.json"
        settings.write_text(json.dumps({"serial": {"device": str(folder / "none")},
                                        "tunnel": {"relay": f"127.0.0.1:{self.port}", "cert": "device.pem",
                                                   "key": "device-key.pem", "ca": "relay-ca.pem", "reconnect_max": 1}}))
        self.agent = self.processes.start([self.bin / "tunnel-agent", "run", "--config", settings, "--state-dir",
                                           folder / "state"], folder / "agent.log", append=True)
        return self.agent

    def stop(self):
        self.processes.stop_all()


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    relay = Relay(tmp_path_factory.mktemp("console")).start()
    yield relay
    relay.stop()
    print(read(relay.log)[-4000:])


@pytest.fixture
def browser():
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        missing_peer("Chromium and its driver are not installed (Debian chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                     "--disable-gpu", "--no-first-run"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=ChromeService(executable_path=shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def browser_sign_in(browser, relay, user):
    browser.get(relay.url + "/console/sign-in")
    browser.find_element(By.ID, "user").send_keys(user)
    browser.find_element(By.ID, "password").send_keys(PASSWORDS[user])
    browser.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for("the fleet page", lambda: browser.find_elements(By.CSS_SELECTOR, "table.fleet"), timeout=10,
             detail=lambda: browser.page_source[:2000])


def while_page_changes(read, default=""):
    """`read()`, or `default` while the page is being replaced: Chromium's driver then reports an
    element of the old page as stale, or, with the new document half built, as a node that "does
    not belong to the document". Anything else is raised."""
    try:
        return read()
    except exceptions.StaleElementReferenceException:
        return default
    except exceptions.WebDriverException as error:
        if "does not belong to the document" in str(error):
            return default
        raise


def presence_of(browser, device) -> str:
    return while_page_changes(
        lambda: browser.find_element(By.CSS_SELECTOR, f'tr[data-device-id="{device}"] [data-presence]').text)


def test_a_password_signs_in_and_sign_out_ends_the_session(relay, browser):
    browser_sign_in(browser, relay, "boss")
    assert "boss (admin)" in browser.find_element(By.CSS_SELECTOR, ".who").text
    cookie = browser.get_cookie("tunnel_console")
    assert cookie and cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict", cookie
    old = cookie["value"]
    browser.find_element(By.CSS_SELECTOR, "header form button").click()
    wait_for("the sign-in page", lambda: browser.current_url.endswith("/console/sign-in"), timeout=10)
    assert browser.get_cookie("tunnel_console") is None
    browser.get(relay.url + "/console")
    assert browser.current_url.endswith("/console/sign-in"), "the fleet page is refused after sign-out"
    # The old cookie, replayed, is no longer a session: it was deleted on the server.
    status, headers, _ = relay.call("GET", "/console", cookies={"tunnel_console": old})
    assert status == 303 and headers["Location"] == "/console/sign-in"
    audit = relay.api("/v1/audit?userId=boss")
    events = [entry["event"] for entry in audit]
    assert "console.sign_in" in events and "console.sign_out" in events, events


def test_a_viewer_sees_only_their_customers_devices(relay, browser):
    browser_sign_in(browser, relay, "vic")
    rows = [row.get_attribute("data-device-id") for row in browser.find_elements(By.CSS_SELECTOR, "tr[data-device-id]")]
    assert rows == ["p1"]
    # Another customer's device is not there even by its URL, and a viewer has no revoke button.
    browser.get(relay.url + "/console/devices/p2")
    assert "no device p2" in browser.page_source
    browser.get(relay.url + "/console/devices/p1")
    assert not browser.find_elements(By.CSS_SELECTOR, "button.danger")
    assert "Recent audit entries" not in browser.page_source
    cookies, token = relay.sign_in("vic", PASSWORDS["vic"])
    status, _, text = relay.call("POST", "/console/devices/p1/revoke", {"csrf": token, "confirm": "yes"},
                                 cookies=cookies)
    assert status == 403 and "only an administrator" in text, "the server refuses what the page hides"
    assert relay.api("/v1/devices/p1")["state"] != "revoked"


def test_a_hostile_customer_name_is_shown_as_text(relay, browser):
    browser_sign_in(browser, relay, "boss")
    with pytest.raises(exceptions.NoAlertPresentException):
        browser.switch_to.alert.text
    cell = browser.find_element(By.CSS_SELECTOR, 'tr[data-device-id="p1"] td:nth-child(2)')
    assert cell.text == HOSTILE
    assert HOSTILE not in browser.page_source.replace("&lt;", "<").split("<body>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in relay.call(
        "GET", "/console", cookies=relay.sign_in("boss", PASSWORDS["boss"])[0])[2]


def test_state_changing_posts_need_the_sessions_token(relay):
    cookies, token = relay.sign_in("boss", PASSWORDS["boss"])
    status, headers, _ = relay.call("GET", "/console", cookies=cookies)
    assert status == 200
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin"
    for form in [{"confirm": "yes"}, {"csrf": "wrong-" + token, "confirm": "yes"}, {"csrf": "", "confirm": "yes"}]:
        status, _, text = relay.call("POST", "/console/sign-out", form, cookies=cookies)
        assert status == 403 and "anti-forgery token" in text, (form, status, text)
        status, _, text = relay.call("POST", "/console/devices/p2/revoke", form, cookies=cookies)
        assert status == 403, (form, status)
    assert relay.api("/v1/devices/p2")["state"] != "revoked"
    assert relay.call("GET", "/console", cookies=cookies)[0] == 200, "refused posts left the session alone"
    # The sign-in form has its own token, tied to the browser that loaded it.
    status, _, text = relay.call("POST", "/console/sign-in", {"user": "boss", "password": PASSWORDS["boss"]})
    assert status == 403, text
    status, headers, _ = relay.call("POST", "/console/sign-out", {"csrf": token}, cookies=cookies)
    assert status == 303 and "Max-Age=0" in headers["Set-Cookie"]


def test_unknown_and_expired_cookies_go_to_sign_in(relay):
    status, headers, _ = relay.call("GET", "/console", cookies={"tunnel_console": "not-a-session"})
    assert status == 303 and headers["Location"] == "/console/sign-in"
    cookies, _ = relay.sign_in("boss", PASSWORDS["boss"])
    token_hash = hashlib.sha256(cookies["tunnel_console"].encode()).digest()
    # Signed in 13 hours ago (past the 12-hour limit), by the store's own record.
    with sqlite3.connect(relay.data / "relay.sqlite") as database:
        changed = database.execute("UPDATE console_sessions SET created_at = created_at - ? WHERE token_hash = ?",
                                   (13 * 3600 * 1000, token_hash)).rowcount
    assert changed == 1
    status, headers, _ = relay.call("GET", "/console", cookies=cookies)
    assert status == 303 and headers["Location"] == "/console/sign-in"
    cookies, _ = relay.sign_in("boss", PASSWORDS["boss"])
    token_hash = hashlib.sha256(cookies["tunnel_console"].encode()).digest()
    with sqlite3.connect(relay.data / "relay.sqlite") as database:
        database.execute("UPDATE console_sessions SET last_used_at = last_used_at - ? WHERE token_hash = ?",
                         (31 * 60 * 1000, token_hash))
    assert relay.call("GET", "/console", cookies=cookies)[0] == 303, "idle 31 minutes"


def test_presence_changes_on_the_page_within_two_seconds(relay, browser, tmp_path):
    browser_sign_in(browser, relay, "boss")
    assert presence_of(browser, "p1") == "offline"
    agent = relay.start_agent(tmp_path)
    wait_for("p1 online in the store", lambda: relay.api("/v1/devices/p1").get("online"), timeout=20,
             detail=lambda: read(tmp_path / "agent.log"))
    online_at = time.monotonic()
    wait_for("the row to say online", lambda: presence_of(browser, "p1") == "online", timeout=2.0)
    print(f"online shown {time.monotonic() - online_at:.2f} s after the store said so")
    stopped_at = time.monotonic()
    Processes.stop(agent)
    wait_for("the row to say offline", lambda: presence_of(browser, "p1") == "offline", timeout=2.0,
             detail=lambda: read(relay.log)[-2000:])
    print(f"offline shown {time.monotonic() - stopped_at:.2f} s after the agent was stopped")
    started_at = time.monotonic()
    agent = relay.start_agent(tmp_path)
    wait_for("the row to say online again", lambda: presence_of(browser, "p1") == "online", timeout=20,
             detail=lambda: read(tmp_path / "agent.log"))
    print(f"online shown {time.monotonic() - started_at:.2f} s after the agent was started")
    Processes.stop(agent)


def test_passwords_are_set_only_when_long_enough(relay):
    result = relay.run_cli("user", "passwd", "vic", stdin="short\n")
    assert result.returncode != 0 and "at least 12" in result.stderr, result.stderr
    result = relay.run_cli("user", "passwd", "nobody", stdin="long-enough-password\n")
    assert result.returncode != 0 and "nobody" in result.stderr, result.stderr


def test_repeated_wrong_passwords_are_limited_and_audited(tmp_path):
    relay = Relay(tmp_path).start()
    try:
        status, headers, text = relay.call("GET", "/console/sign-in")
        cookies = {"tunnel_console_signin": cookie_value(headers, "tunnel_console_signin")}
        form = {"csrf": form_token(text), "user": "vic", "password": "not-the-password"}
        for attempt in range(5):
            status, _, text = relay.call("POST", "/console/sign-in", form, cookies=cookies)
            assert status == 401 and "Sign-in failed" in text, (attempt, status)
        status, headers, text = relay.call("POST", "/console/sign-in", form, cookies=cookies)
        assert status == 429, status
        assert "try again in" in text and 0 < int(headers["Retry-After"]) <= 60, text
        # The right password is refused too while the limit holds.
        status, _, _ = relay.call("POST", "/console/sign-in", dict(form, password=PASSWORDS["vic"]), cookies=cookies)
        assert status == 429
        refused = [e for e in relay.api("/v1/audit?userId=vic") if e["event"] == "console.sign_in_refused"]
        assert len(refused) == 5 and all(e["source"] == "127.0.0.1" for e in refused), refused
    finally:
        relay.stop()


def test_live_telemetry_and_its_chart_follow_the_agent_on_the_device_page(relay, browser, tmp_path):
    from mqtt_fixtures import Broker, mosquitto_path, start_live_agent
    if mosquitto_path() is None:
        missing_peer("no mosquitto broker (Debian package mosquitto)")
    broker = Broker(relay.processes, tmp_path / "broker").start()
    agent, sim = start_live_agent(relay.processes, relay.bin, relay.folder / "p1", relay.port, broker.port, tmp_path,
                                  settings_name="settings-live.json")
    try:
        # A viewer of acme watches p1.
        browser_sign_in(browser, relay, "vic")
        browser.get(relay.url + "/console/devices/p1")

        def reading(name):
            def read():
                for card in browser.find_elements(By.CSS_SELECTOR, "dl[data-readings] div"):
                    if card.find_element(By.TAG_NAME, "dt").text == name:
                        return card.find_element(By.TAG_NAME, "dd").text
                return None
            return while_page_changes(read, None)

        voltage = wait_for("the pack voltage on the page", lambda: reading("Pack voltage"), timeout=30,
                           detail=lambda: read(tmp_path / "agent.log")[-3000:])
        assert voltage.endswith(" V") and 40 < float(voltage[:-2]) < 70, voltage
        assert reading("Cell spread").endswith(" V") and reading("State of charge").endswith(" %")

        def chart_points():
            captions = lambda: [e.text for e in browser.find_elements(By.CSS_SELECTOR, 'figure[data-chart="packVoltage"] figcaption')]
            found = while_page_changes(captions, [])
            return int(re.search(r"(\d+) points\)", found[0]).group(1)) if found else 0

        before = wait_for("the pack voltage chart", chart_points, timeout=10)
        waited = time.monotonic()
        wait_for("a new point on the chart", lambda: chart_points() > before, timeout=2.5)
        print(f"the chart grew from {before} points {time.monotonic() - waited:.2f} s later")
        assert browser.find_element(By.CSS_SELECTOR, 'figure[data-chart="packVoltage"] polyline').get_attribute("points")
        # The current chart is chosen by default; unticking a key removes its chart.
        boxes = {box.find_element(By.XPATH, "..").text.strip(): box
                 for box in browser.find_elements(By.CSS_SELECTOR, "[data-chart-keys] input[type=checkbox]")}
        assert boxes["current"].is_selected() and not boxes["minCellVoltage"].is_selected(), list(boxes)
        boxes["current"].click()
        wait_for("the current chart to go", lambda: not browser.find_elements(By.CSS_SELECTOR, 'figure[data-chart="current"]'),
                 timeout=5)

        # The BMS's firmware version (bms-sim's VR1 answer) reaches the page, the store and the fleet.
        # The agent asks VR1 once per its request period (60 s in the shipped params_config.json).
        wait_for("the firmware version on the page", lambda: browser.find_element(By.CSS_SELECTOR, "[data-firmware]").text
                 == "2.4.1", timeout=70)
        wait_for("the firmware version in the store", lambda: relay.api("/v1/devices/p1").get("firmwareVersion") == "2.4.1",
                 timeout=5)
        browser.get(relay.url + "/console")
        assert "2.4.1" in browser.find_element(By.CSS_SELECTOR, 'tr[data-device-id="p1"]').text

        # The stream answers only a signed-in user who may see the device.
        cookies = {"tunnel_console": browser.get_cookie("tunnel_console")["value"]}
        assert relay.call("GET", "/console/devices/p2/telemetry", cookies=cookies)[0] == 404
        status, headers, _ = relay.call("GET", "/console/devices/p1/telemetry")
        assert status == 303 and "/console/sign-in" in headers.get("Location", ""), (status, headers)
    finally:
        Processes.stop(agent)
        Processes.stop(sim)
        broker.stop()
        wait_for("p1 offline again", lambda: not relay.api("/v1/devices/p1").get("online"), timeout=20)


def test_a_user_sees_their_sign_ins_and_signs_out_every_other_browser(relay):
    first, _ = relay.sign_in("vic", PASSWORDS["vic"])
    second, _ = relay.sign_in("vic", PASSWORDS["vic"])
    third, token = relay.sign_in("vic", PASSWORDS["vic"])
    status, _, page = relay.call("GET", "/console/account", cookies=third)
    assert status == 200 and page.count("<tr") >= 4 and "this browser" in page, page[-2000:]
    # The form needs the session's token; with it, every other sign-in of vic ends, not this one.
    assert relay.call("POST", "/console/account/sign-out-elsewhere", {"csrf": "wrong"}, cookies=third)[0] == 403
    assert relay.call("GET", "/console", cookies=first)[0] == 200
    status, headers, _ = relay.call("POST", "/console/account/sign-out-elsewhere", {"csrf": token}, cookies=third)
    assert status == 303 and headers["Location"] == "/console/account", (status, headers)
    for ended in (first, second):
        assert relay.call("GET", "/console", cookies=ended)[0] == 303, "another browser's sign-in ended"
    assert relay.call("GET", "/console", cookies=third)[0] == 200
    assert "No other browser is signed in." in relay.call("GET", "/console/account", cookies=third)[2]
    boss, _ = relay.sign_in("boss", PASSWORDS["boss"])
    assert relay.call("GET", "/console", cookies=boss)[0] == 200, "another user's sign-ins are untouched"
    entries = relay.api("/v1/audit?userId=vic")
    counts = [int(re.match(r"(\d+) other sign-ins? ended", e.get("reason", "")).group(1))
              for e in entries if e["event"] == "console.signed_out_elsewhere"]
    assert counts and counts[-1] >= 2, entries[-5:]
