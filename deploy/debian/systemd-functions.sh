# Shared by the maintainer scripts of both packages: scripts/package puts this file in place
# of their `# @SYSTEMD_FUNCTIONS@` line. Enables, starts and stops a unit with
# deb-systemd-helper and deb-systemd-invoke (init-system-helpers, which honour policy-rc.d)
# when they are there, else with systemctl. A machine where systemd is not PID 1 (a chroot,
# a container, an image being built) gets the unit enabled for its next boot and nothing
# started or stopped, and the scripts do not fail there.

systemd_is_running() {
  [ -d /run/systemd/system ]
}

# unit_enable UNIT PREVIOUS_VERSION: enables the unit on the first installation; on an upgrade
# the administrator's choice (enabled or disabled) stays.
unit_enable() {
  local unit=$1 previous=$2
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper unmask "$unit" >/dev/null || true
    if deb-systemd-helper --quiet was-enabled "$unit"; then
      deb-systemd-helper enable "$unit" >/dev/null || true
    else
      deb-systemd-helper update-state "$unit" >/dev/null || true
    fi
  elif [ -z "$previous" ] && command -v systemctl >/dev/null 2>&1; then
    systemctl enable "$unit" >/dev/null 2>&1 || true
  fi
}

# unit_action ACTION UNIT: start, restart, try-restart or stop, when systemd runs. A unit that
# fails to start does not fail the package: the journal says why.
unit_action() {
  local action=$1 unit=$2
  systemd_is_running || return 0
  systemctl --system daemon-reload >/dev/null 2>&1 || true
  if command -v deb-systemd-invoke >/dev/null 2>&1; then
    deb-systemd-invoke "$action" "$unit" >/dev/null && return 0
  else
    systemctl "$action" "$unit" >/dev/null && return 0
  fi
  echo "${unit%.service}: systemctl $action $unit failed; see journalctl -u $unit" >&2
}

# unit_removed UNIT: after the package's files are gone. Masks the unit so that the links
# left until a purge start nothing (deb-systemd-helper only masks what it enabled).
unit_removed() {
  local unit=$1
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper mask "$unit" >/dev/null || true
  fi
  if systemd_is_running; then systemctl --system daemon-reload >/dev/null 2>&1 || true; fi
}

# unit_purged UNIT: forgets the unit's enablement links and the mask.
unit_purged() {
  local unit=$1
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper purge "$unit" >/dev/null || true
    deb-systemd-helper unmask "$unit" >/dev/null || true
  else
    rm -f "/etc/systemd/system/multi-user.target.wants/$unit"
  fi
  if systemd_is_running; then systemctl --system daemon-reload >/dev/null 2>&1 || true; fi
}
