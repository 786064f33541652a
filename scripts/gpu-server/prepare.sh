#!/usr/bin/env bash
# Prepares .gpu-bundle/: everything `npm run bench` needs on an offline NVIDIA GPU server that has no Node.js,
# no Vulkan loader and no internet (see bench/README.md, "Running on an offline NVIDIA GPU server").
# Run here, in the repo, on a machine with the Debian and npm registries (and node_modules installed):
#
#   bash scripts/gpu-server/prepare.sh          (or: npm run bench:gpu-server)
#
# Makes (all ignored by git):
#   .gl/*.deb               Vulkan loader + glvnd debs (apt options of ../shared/device/README.md), fetched once
#   .node/node.xz           this machine's node binary, xz-compressed (official builds need only glibc)
#   .gpu-bundle/            bench.mjs (bench/bench.ts bundled by esbuild, WGSL inlined), payload.tar.xz (trimmed
#                           node_modules: webgpu's JS + linux-x64 dawn.node, onnxruntime-node's JS + linux-x64
#                           binaries, onnxruntime-common's CommonJS build), node.xz, gl/*.deb, run.sh,
#                           run-local-check, pytorch_pgd_reference.py (copied: ../shared does not travel), MANIFEST
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUNDLE=$ROOT/.gpu-bundle
SHARED=${AOS_SHARED:-$ROOT/../shared}
REF=${AOS_PYTORCH_REF:-$SHARED/device/pytorch_pgd_reference.py}
XZ_THREADS=${XZ_THREADS:-2}

say() { printf '[prepare] %s\n' "$*"; }

[ "$(uname -m)" = x86_64 ] || { echo "prepare.sh: this machine is $(uname -m); the server is x86-64 (build the bundle on x86-64)" >&2; exit 1; }
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "prepare.sh: node_modules/webgpu is missing (npm install first)" >&2; exit 1; }
[ -d node_modules/onnxruntime-node/bin/napi-v6/linux/x64 ] || { echo "prepare.sh: node_modules/onnxruntime-node is missing (npm install first)" >&2; exit 1; }

# 1. Vulkan loader and glvnd debs (the NVIDIA Vulkan driver needs them), amd64, fetched once.
if ! compgen -G '.gl/*.deb' >/dev/null; then
  say "downloading the Vulkan/glvnd debs into .gl/"
  mkdir -p .gl /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update >/dev/null
  (cd .gl && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

# 2. The node binary, compressed (rebuilt when the local node changes).
NODE_BIN=$(command -v node)
NODE_VERSION=$("$NODE_BIN" --version)
if [ ! -s .node/node.xz ] || [ "$(cat .node/node.version 2>/dev/null)" != "$NODE_VERSION" ]; then
  say "compressing $NODE_BIN ($NODE_VERSION) into .node/node.xz"
  mkdir -p .node
  xz -T"$XZ_THREADS" -6 -c "$NODE_BIN" > .node/node.xz.tmp
  mv .node/node.xz.tmp .node/node.xz
  echo "$NODE_VERSION" > .node/node.version
fi

# 3. The bundle.
rm -rf "$BUNDLE"
mkdir -p "$BUNDLE/gl"
say "bundling bench/bench.ts"
node scripts/gpu-server/build-bundle.mjs "$BUNDLE"

# 4. The native parts, trimmed to linux-x64, in one tar.xz.
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
NM=$STAGE/node_modules
mkdir -p "$NM/webgpu/dist/linux-x64" "$NM/onnxruntime-node/dist" "$NM/onnxruntime-node/bin/napi-v6/linux" "$NM/onnxruntime-common/dist"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$NM/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$NM/webgpu/dist/linux-x64/"
cp node_modules/onnxruntime-node/package.json "$NM/onnxruntime-node/"
cp node_modules/onnxruntime-node/dist/*.js "$NM/onnxruntime-node/dist/"
cp -r node_modules/onnxruntime-node/bin/napi-v6/linux/x64 "$NM/onnxruntime-node/bin/napi-v6/linux/"
cp node_modules/onnxruntime-common/package.json "$NM/onnxruntime-common/"
cp -r node_modules/onnxruntime-common/dist/cjs "$NM/onnxruntime-common/dist/"
# Installing nothing on the server: no install scripts run there, so drop them from the manifests.
node -e '
  const fs = require("fs");
  for (const p of process.argv.slice(1)) {
    const j = JSON.parse(fs.readFileSync(p, "utf8"));
    delete j.scripts; delete j.devDependencies;
    fs.writeFileSync(p, JSON.stringify(j, null, 2) + "\n");
  }' "$NM/webgpu/package.json" "$NM/onnxruntime-node/package.json" "$NM/onnxruntime-common/package.json"
say "compressing the native payload (dawn.node, onnxruntime-node)"
tar -C "$STAGE" -cf - node_modules | xz -T"$XZ_THREADS" -6 > "$BUNDLE/payload.tar.xz"

# 5. Node, debs, scripts, the PyTorch reference.
cp .node/node.xz "$BUNDLE/node.xz"
cp .gl/*.deb "$BUNDLE/gl/"
cp scripts/gpu-server/run.sh scripts/gpu-server/run-local-check "$BUNDLE/"
chmod +x "$BUNDLE/run.sh" "$BUNDLE/run-local-check"
if [ -f "$REF" ]; then
  cp "$REF" "$BUNDLE/pytorch_pgd_reference.py"
else
  say "warning: no PyTorch reference script at $REF (set AOS_PYTORCH_REF); run.sh will skip it"
fi

{
  echo "AoS Workbench GPU-server bundle"
  echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse --short HEAD)$(git diff --quiet -- bench src shaders || echo ' (+ uncommitted changes in bench/src/shaders)')"
  echo "node: $NODE_VERSION ($(uname -m)); webgpu $(node -p 'require("./node_modules/webgpu/package.json").version'); onnxruntime-node $(node -p 'require("./node_modules/onnxruntime-node/package.json").version')"
  echo
  (cd "$BUNDLE" && find . -type f ! -name MANIFEST -printf '%s\t%p\n' | sort -k2)
} > "$BUNDLE/MANIFEST"

TOTAL=$(du -sb "$BUNDLE" | cut -f1)
TREE=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
say "$(awk -v b="$TOTAL" -v t="$TREE" 'BEGIN { printf ".gpu-bundle: %.1f MiB (tracked working tree that travels with it: %.1f MiB; the device tool takes 64 MiB in all)", b / 1048576, t / 1048576 }')"
if [ $((TOTAL + TREE)) -gt $((62 * 1048576)) ]; then
  say "warning: bundle + working tree exceed 62 MiB"
fi
