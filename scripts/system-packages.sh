#!/usr/bin/env bash
# Installs the Debian packages Heimdal needs, idempotently: nothing is fetched when all are present.
#   libpcap-dev, g++, make, python3  build the libpcap binding (packages/platform/native)
#   tcpdump, tshark, argus-*         test oracles and benchmark peers
#   tcpreplay, iproute2, dnsutils,   live-capture tests in network namespaces
#   iputils-ping, netcat-openbsd,    (dnsmasq-base and busybox udhcpc: DHCP in discovery tests)
#   dnsmasq-base, busybox,
#   libcap2-bin, util-linux          capability checks (setcap, capsh, setpriv)
#   time                             peak memory of benchmark runs (GNU time)
#   nftables, curl                   blocking (the sensor's firewall) and interception tests
#   openssl                          a throw-away certificate for the API server's TLS test
#   chromium                         the dashboard's end-to-end and XSS tests (playwright-core drives it)
#   ptunnel-ng                       a real ICMP tunnel for the icmp_tunneling test
set -euo pipefail

packages=(
  libpcap-dev g++ make python3
  tcpdump tshark argus-server argus-client
  tcpreplay iproute2 dnsutils iputils-ping netcat-openbsd dnsmasq-base busybox
  libcap2-bin util-linux procps time openssl
  nftables curl chromium ptunnel-ng
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

echo "system packages: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "error: these Debian packages are missing and we are not root (no sudo): ${missing[*]}" >&2
    exit 1
  fi
fi
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo_cmd[@]}" debconf-set-selections 2>/dev/null || true
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed"
