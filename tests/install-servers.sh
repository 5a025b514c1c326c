#!/usr/bin/env bash
# Installs the servers the test suite starts on 127.0.0.1, from Debian's packages: a real WordPress (Debian's
# package with its bundled themes, Apache + mod_php, MariaDB), Redis. Needs root (or sudo);
# does nothing for packages already installed. Tests whose server is absent skip with the reason, unless
# BLOGARC_REQUIRE_SERVERS=1 (what CI sets) makes them fail.
set -euo pipefail
PACKAGES=(wordpress wordpress-l10n wordpress-theme-twentytwentyone wordpress-theme-twentytwentytwo
  wordpress-theme-twentytwentythree
  mariadb-server apache2 libapache2-mod-php php-mysql php-gd php-xml php-mbstring redis-server)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}"
