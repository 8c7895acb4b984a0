"""A throwaway PostgreSQL server of the test's own, as scripts/lib/throwaway-postgres.sh starts
one for the store tests: a fresh folder directly under /tmp (the postgres user, which owns the
cluster when the tests run as root, cannot enter pytest's folders), trust authentication, on a
free port of 127.0.0.1 only (no Unix socket outside that folder). Stopped with `-m immediate`
and removed at the end."""
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


from ports import free_port
from peers import missing_peer


class ThrowawayPostgres:
    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in p.split("/")[-2].split(".")])
        if not found or not os.access(f"{found[-1]}/initdb", os.X_OK):
            missing_peer("no PostgreSQL server binaries under /usr/lib/postgresql (Debian package postgresql)")
        self.bin = Path(found[-1])
        self.folder = Path(tempfile.mkdtemp(prefix="relay-cluster-pg."))
        # initdb refuses to run as root: the cluster then belongs to the postgres user.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.run_as:
            shutil.chown(self.folder, user="postgres")
        self.port = free_port()
        self.started = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def start(self):
        data = self.folder / "data"
        initdb = subprocess.run([*self.run_as, self.bin / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                 "--no-sync"], capture_output=True, text=True, timeout=120)
        if initdb.returncode != 0:
            missing_peer(f"initdb failed: {initdb.stdout}{initdb.stderr}")
        self.resume()
        return self

    def resume(self):
        """Starts the server (again) on its folder and port."""
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} -c fsync=off"
        started = subprocess.run([*self.run_as, self.bin / "pg_ctl", "-D", self.folder / "data", "-l", self.folder / "server.log",
                                  "-w", "-t", "60", "-o", options, "start"], capture_output=True, text=True, timeout=90)
        if started.returncode != 0:
            missing_peer(f"PostgreSQL did not start: {started.stderr}{(self.folder / 'server.log').read_text(errors='replace')}")
        self.started = True

    def pause(self):
        """Stops the server as a crash would (`-m immediate`), keeping its data for `resume`."""
        subprocess.run([*self.run_as, self.bin / "pg_ctl", "-D", self.folder / "data", "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60, check=True)
        self.started = False

    def stop(self):
        if self.started:
            subprocess.run([*self.run_as, self.bin / "pg_ctl", "-D", self.folder / "data", "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60)
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)
