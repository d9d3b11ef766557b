#!/usr/bin/env bash
# Install the Debian packages listed for a purpose in envs/apt-packages.txt, if missing and apt-get is usable.
# Never fails the build: without root/apt it says what to install and which features need it.
set -u
purpose=${1:?usage: envs/system-packages.sh setup|data|paper|test|dag}
here=$(cd "$(dirname "$0")" && pwd)
wanted=$(awk -v p="$purpose:" '$1 == p {for (i = 2; i <= NF; i++) print $i}' "$here/apt-packages.txt")
missing=()
for pkg in $wanted; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
  echo "installing Debian packages for '$purpose': ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || echo "WARNING: apt-get could not install ${missing[*]}"
else
  echo "NOTE: '$purpose' uses Debian packages that are not installed: ${missing[*]}"
  echo "      install them with: sudo apt-get install ${missing[*]}"
fi
exit 0
