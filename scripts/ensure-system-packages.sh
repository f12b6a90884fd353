#!/usr/bin/env bash
# Installs the Debian packages VividCrowd links against, when any is missing; arguments name more packages a
# caller needs (scripts/postgres.sh asks for postgresql).
set -euo pipefail
packages=(
  "$@"
  libsqlite3-dev libcurl4-openssl-dev libopenblas-dev libmupdf-dev
  # libmupdf-dev does not pull in its dependencies' -dev packages; linking needs them.
  libharfbuzz-dev libfreetype-dev libjbig2dec0-dev libopenjp2-7-dev libjpeg-dev libgumbo-dev libmujs-dev zlib1g-dev
  # FoundationXML (the XLSX reader of sales materials) loads libxml2 at run time.
  libxml2
  curl
  # hnswlib (header-only) for the approximate dense index.
  libhnswlib-dev
  # Offline speech: espeak-ng with its voices, pocketsphinx with its English model.
  libespeak-ng-dev espeak-ng-data libpocketsphinx-dev pocketsphinx-en-us
  # Offline talking-head video (run as a program, not linked).
  ffmpeg
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "VividCrowd needs these Debian packages: ${missing[*]}" >&2
  echo "You are not root: run 'sudo apt-get install -y ${missing[*]}' and try again." >&2
  exit 1
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
