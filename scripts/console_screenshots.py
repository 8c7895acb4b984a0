"""Screenshots of the web console's pages into docs/console/ (run by scripts/console-screenshots).

Starts what the console shows for real: `tunnel-relay serve` with a small fleet, mosquitto, a
simulated BMS and its agent reporting live telemetry, and a Control Panel session through
`tunnel-connect`; then headless Chromium at 1366 pixels wide signs in and saves each page, in
the light theme and the fleet again in the dark one."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))
from mqtt_fixtures import Broker, Processes, build_binaries, read, wait_for  # noqa: E402
from ports import free_port  # noqa: E402

from selenium import webdriver  # noqa: E402  (Debian python3-selenium)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

OUT = ROOT / "docs" / "console"
PASSWORD = "console-screenshots-1"
CUSTOMERS = {"northwind": "Northwind Storage", "harbour": "Harbour Marine"}
DEVICES = [(f"pack-{n:04d}", "northwind" if n % 3 else "harbour") for n in range(1, 13)]


def cli(bin_dir: Path, data: Path, *args, stdin="") -> str:
    result = subprocess.run([str(bin_dir / "tunnel-relay"), *map(str, args), "--data-dir", str(data)],
                            capture_output=True, text=True, timeout=60, input=stdin)
    if result.returncode != 0:
        raise SystemExit(f"tunnel-relay {' '.join(map(str, args))}: {result.stdout}{result.stderr}")
    return result.stdout


def browser(dark: bool):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                     "--disable-gpu", "--no-first-run", "--window-size=1366,768", "--hide-scrollbars"]:
        options.add_argument(argument)
    if dark:
        options.add_argument("--force-dark-mode")
        options.add_argument("--blink-settings=preferredColorScheme=0")
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)


def shoot(driver, name: str):
    """The whole page, 1366 pixels wide (at most 3000 high)."""
    time.sleep(0.5)
    height = min(3000, max(768, driver.execute_script("return document.documentElement.scrollHeight")))
    # The viewport itself (a window's size would include the browser's own bars).
    metrics = {"width": 1366, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    time.sleep(0.3)
    driver.save_screenshot(str(OUT / f"{name}.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    print(f"docs/console/{name}.png")


def sign_in(driver, url: str):
    driver.get(url + "/console/sign-in")
    driver.find_element(By.ID, "user").send_keys("ana")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait_for("the fleet page", lambda: driver.find_elements(By.CSS_SELECTOR, "table.fleet"), timeout=15)


def main():
    bin_dir = build_binaries(["tunnel-relay", "tunnel-agent", "bms-sim", "tunnel-connect"])
    work = Path(tempfile.mkdtemp(prefix="console-screenshots-"))
    processes = Processes(work)
    try:
        data = work / "relay"
        port, admin_port = free_port(), free_port()
        cli(bin_dir, data, "init", "--hostname", "127.0.0.1")
        for customer, name in CUSTOMERS.items():
            cli(bin_dir, data, "customer", "add", customer, "--name", name)
        for device, customer in DEVICES:
            cli(bin_dir, data, "device", "add", device, "--customer", customer, "--bundle", work / device)
        cli(bin_dir, data, "user", "add", "ana", "--role", "admin")
        cli(bin_dir, data, "user", "passwd", "ana", stdin=PASSWORD + "\n")
        key = next(word for word in cli(bin_dir, data, "key", "create", "--user", "ana").split() if word.startswith("ak1."))
        relay_log = work / "relay.log"
        processes.start([bin_dir / "tunnel-relay", "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}",
                         "--public-address", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin_port}", "--capture"], relay_log)
        url = f"https://127.0.0.1:{admin_port}"
        broker = Broker(processes, work / "broker").start()
        for device, _ in DEVICES[:5]:
            sim = work / f"{device}.pty"
            processes.start([bin_dir / "bms-sim", "--pty", sim], work / f"sim-{device}.log")
            wait_for("the simulated BMS", sim.is_symlink, timeout=20)
            settings = work / device / "settings.json"
            settings.write_text(json.dumps({
                "serial": {"device": str(sim)}, "mqtt": {"uri": f"mqtt://127.0.0.1:{broker.port}"},
                "tunnel": {"relay": f"127.0.0.1:{port}", "cert": "device.pem", "key": "device-key.pem",
                           "ca": "relay-ca.pem", "live_telemetry_period": 1}}))
            processes.start([bin_dir / "tunnel-agent", "run", "--config", settings, "--state-dir", work / f"state-{device}"],
                            work / f"agent-{device}.log")
        connect_log = work / "connect.log"
        panel_port = free_port()
        connect = subprocess.Popen(
            [str(bin_dir / "tunnel-connect"), "--device", "pack-0001", "--relay", f"127.0.0.1:{port}",
             "--admin-url", url, "--ca", str(data / "tls" / "server-ca.pem"), "--tcp", f"127.0.0.1:{panel_port}"],
            env=dict(os.environ, TUNNEL_API_KEY=key), stdout=open(connect_log, "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        processes.started.append(connect)
        wait_for("the session", lambda: "Connected to device" in read(connect_log), timeout=30, detail=lambda: read(connect_log))

        OUT.mkdir(parents=True, exist_ok=True)
        driver = browser(dark=False)
        try:
            driver.get(url + "/console/sign-in")
            shoot(driver, "sign-in")
            sign_in(driver, url)
            wait_for("presence", lambda: driver.find_elements(By.CSS_SELECTOR, ".presence.online"), timeout=15)
            shoot(driver, "fleet")
            driver.get(url + "/console/devices/pack-0001")
            wait_for("a chart with a few points", lambda: driver.find_elements(By.CSS_SELECTOR, "figure[data-chart] polyline"),
                     timeout=30)
            time.sleep(6)
            shoot(driver, "device")
            driver.find_element(By.ID, "connect-monitor").click()
            wait_for("the connect page", lambda: "tunnel-connect" in driver.page_source, timeout=15)
            shoot(driver, "connect")
            driver.get(url + "/console/sessions?state=live&device=pack-0001")
            shoot(driver, "sessions")
            driver.find_element(By.CSS_SELECTOR, "table a[href^='/console/sessions/']").click()
            shoot(driver, "session")
            session_page = driver.current_url
            driver.find_element(By.ID, "watch-link").click()
            wait_for("the watch page", lambda: "ana" in driver.find_element(By.CSS_SELECTOR, "[data-watchers]").text, timeout=10)
            time.sleep(1)
            with socket.create_connection(("127.0.0.1", panel_port), timeout=5) as panel:
                for request in [b"VR1,?,D7\r\n", b"CV1,?,78\r\n", b"BV1,?,4F\r\n", b"BC1,?,E1\r\n"]:
                    panel.sendall(request)
                    time.sleep(0.4)
            wait_for("sentences on the watch page", lambda: len(driver.find_elements(By.CSS_SELECTOR, "[data-sentences] tr")) >= 8,
                     timeout=10)
            shoot(driver, "watch")
            Processes.stop(connect)
            driver.get(session_page + "/replay#t=100000")
            wait_for("the replay", lambda: len(driver.find_elements(By.CSS_SELECTOR, "[data-sentences] tr")) >= 8, timeout=10)
            driver.execute_script("window.scrollTo(0, 0)")
            shoot(driver, "replay")
            driver.get(url + "/console/audit")
            shoot(driver, "audit")
            driver.get(url + "/console/admin")
            shoot(driver, "admin")
            driver.get(url + "/console/admin/users/ana")
            shoot(driver, "user")
        finally:
            driver.quit()
        driver = browser(dark=True)
        try:
            sign_in(driver, url)
            wait_for("presence", lambda: driver.find_elements(By.CSS_SELECTOR, ".presence.online"), timeout=15)
            shoot(driver, "fleet-dark")
        finally:
            driver.quit()
    finally:
        processes.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
