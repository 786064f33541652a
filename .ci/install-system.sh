#!/usr/bin/env bash
# Installs the system packages the tests need: Debian's Chromium (browser tests on SwiftShader WebGPU) and
# Mesa 25 lavapipe from bookworm-backports (Dawn's Vulkan backend rejects bookworm's Mesa 22).
# The backports entry is derived from this machine's own Debian sources file: no registry host is named here.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
src=/etc/apt/sources.list.d/debian.sources
bp=/etc/apt/sources.list.d/aos-backports.sources
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
if [ ! -f "$bp" ]; then
  if [ -f "$src" ]; then
    # First stanza of the deb822 file (the main archive), with its suite switched to <codename>-backports.
    awk 'BEGIN{RS="";ORS="\n\n"} NR==1' "$src" | sed -E "s/^Suites:.*/Suites: ${suite}-backports/" > "$bp"
  elif [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | grep -v security | head -n1 |
      awk -v s="${suite}-backports" '{print $1" "$2" "s" main"}' > /etc/apt/sources.list.d/aos-backports.list
  fi
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
apt-get install -y -qq --no-install-recommends -t "${suite}-backports" mesa-vulkan-drivers libdrm2 libvulkan1 >/dev/null
echo "system packages: chromium $(chromium --version 2>/dev/null | head -n1 | tr -d '\n'), mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
