#!/usr/bin/env bash
# Installs the real TLS servers mtls-harness can start as targets (Debian/Ubuntu packages), without starting any
# system service: the harness runs each server itself, in the foreground, on a free 127.0.0.1 port.
# Usage: sudo scripts/install-targets.sh
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "install-targets: run as root (sudo $0)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "install-targets: needs apt-get (Debian/Ubuntu); install nginx, haproxy, apache2, stunnel4, lighttpd (with mod_openssl), caddy and openssl by hand" >&2
  exit 1
fi
# Packages must not start their system services on install.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
# NOTE: Debian 12's lighttpd cannot load mod_openssl without lighttpd-mod-openssl (a separate package since the
# modules were split out); older releases (Ubuntu 20.04) have no such package and build TLS into lighttpd itself.
lighttpd_tls=
if apt-cache show lighttpd-mod-openssl >/dev/null 2>&1; then lighttpd_tls=lighttpd-mod-openssl; fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  openssl nginx-light haproxy apache2 stunnel4 lighttpd $lighttpd_tls caddy >/dev/null
echo "installed:"
nginx -v 2>&1
haproxy -v | head -1
apache2 -v | head -1
stunnel -version 2>&1 | grep '^stunnel' || true
lighttpd -v
caddy version
openssl version
