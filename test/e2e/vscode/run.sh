#!/usr/bin/env bash
# Real VS Code (code-server 4.100.3 = VS Code 1.100.3, runs on Node 20) driven by headless Debian
# Chromium through playwright-core: installs dist/ztc-vscode.vsix and checks what a user sees.
# Usage: bash test/e2e/vscode/run.sh [--update-screenshot]   (npm run test:vscode packages first)
# Env: ZTC_E2E_WORK (scratch folder, kept between runs to reuse the install), ZTC_E2E_PORT.
# code-server and playwright-core are installed into the scratch folder, never into the project.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
VSIX="$ROOT/dist/ztc-vscode.vsix"
WORK=${ZTC_E2E_WORK:-${TMPDIR:-/tmp}/ztc-code-server-e2e}
PORT=${ZTC_E2E_PORT:-8377}
CS_VERSION=4.100.3
RG_VER=1.15.11   # @vscode/ripgrep pinned by code-server 4.100.3's lib/vscode/npm-shrinkwrap.json
[ -f "$VSIX" ] || { echo "no $VSIX: run npm run package:vscode first"; exit 2; }
mkdir -p "$WORK"/{tmp,app,pw}
t() { local s=$SECONDS; "$@"; echo "== $1 ${2:-}: $((SECONDS - s)) s" >&2; }

# 0. OS packages: chromium for the browser, ripgrep standing in for the GitHub-hosted rg,
#    libkrb5-dev and a compiler for code-server's native modules.
need=()
command -v chromium >/dev/null || need+=(chromium fonts-dejavu-core)
command -v rg >/dev/null || need+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
for p in build-essential python3 pkg-config; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then APT=(apt-get); else APT=(sudo apt-get); fi
  echo "== installing ${need[*]} (apt)"
  timeout 300 "${APT[@]}" update -qq || true
  t timeout 900 "${APT[@]}" install -y --no-install-recommends "${need[@]}" >/dev/null
fi

# 1. code-server from npm, into the scratch folder (large; the download can stall: timeout + retries).
export TMPDIR=$WORK/tmp   # @vscode/ripgrep looks for its download cache in os.tmpdir()
CS="$WORK/app/node_modules/.bin/code-server"
if [ ! -x "$CS" ] || ! "$CS" --version 2>/dev/null | grep -q "^$CS_VERSION"; then
  mkdir -p "$TMPDIR/vscode-ripgrep-cache-$RG_VER"
  tar czf "$TMPDIR/vscode-ripgrep-cache-$RG_VER/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  (cd "$WORK/app" && { [ -f package.json ] || npm init -y >/dev/null; })
  for i in 1 2 3; do (cd "$WORK/app" && timeout 300 npm cache add "code-server@$CS_VERSION") && break; echo "npm cache add failed ($i)"; sleep 5; done
  ok=0
  for i in 1 2 3; do
    # npm_config_yes: node-pty's install runs npx node-gyp; unsafe_perm: code-server's postinstall refuses root otherwise.
    if (cd "$WORK/app" && env npm_config_yes=true npm_config_unsafe_perm=true npm_config_nodedir=/usr \
      timeout 900 npm install --prefer-offline --fetch-timeout=60000 --no-audit --no-fund --foreground-scripts "code-server@$CS_VERSION" >"$WORK/install.log" 2>&1); then ok=1; break; fi
    echo "code-server install failed (attempt $i); see $WORK/install.log"; tail -5 "$WORK/install.log"; sleep 5
  done
  [ $ok = 1 ] || exit 1
fi
(cd "$WORK/pw" && { [ -f package.json ] || { npm init -y >/dev/null; npm pkg set type=module; }; } && \
  { [ -d node_modules/playwright-core ] || timeout 300 npm install --no-audit --no-fund playwright-core@1.65.1 >/dev/null 2>&1; })

# 2. A fresh profile with the extension, and a copy of the example repository with one broken file.
rm -rf "$WORK/data" "$WORK/exts" "$WORK/ws" "$WORK/out"
mkdir -p "$WORK/data/User" "$WORK/exts" "$WORK/ws" "$WORK/out"
cp -r "$ROOT/examples/acme" "$WORK/ws/acme"
rm -rf "$WORK/ws/acme/out"
printf 'tenant checkout allow egress to api.evil.example:443\n' > "$WORK/ws/acme/tenants/checkout/broken.zt"
cat > "$WORK/data/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "security.workspace.trust.enabled": false, "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false, "update.mode": "none", "workbench.tips.enabled": false,
  "workbench.enableExperiments": false, "chat.commandCenter.enabled": false, "editor.hover.delay": 300, "files.autoSave": "off" }
JSON
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$WORK/config.yaml"
COMMON=(--config "$WORK/config.yaml" --user-data-dir "$WORK/data" --extensions-dir "$WORK/exts")
"$CS" "${COMMON[@]}" --version | head -1
t "$CS" "${COMMON[@]}" --install-extension "$VSIX"

# 3. Start code-server (ztc's approval expiry evaluated on a fixed date), wait until it answers.
ZTC_TODAY=2026-11-21 "$CS" "${COMMON[@]}" --disable-telemetry --disable-update-check --disable-workspace-trust \
  --disable-getting-started-override "$WORK/ws/acme" >"$WORK/server.log" 2>&1 &
CS_PID=$!
trap 'kill $CS_PID 2>/dev/null || true; wait $CS_PID 2>/dev/null || true' EXIT
for i in $(seq 1 120); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done

# 4. Drive it.
cp "$HERE/drive.mjs" "$WORK/pw/drive.mjs"
rc=0
CS_URL="http://127.0.0.1:$PORT/?folder=$WORK/ws/acme" OUT_DIR="$WORK/out" \
  timeout 300 node "$WORK/pw/drive.mjs" || rc=$?
if [ $rc -ne 0 ]; then echo "== code-server log:"; tail -n 40 "$WORK/server.log"; fi
if [ $rc -eq 0 ] && [ "${1:-}" = "--update-screenshot" ]; then
  cp "$WORK/out/ztc-vscode.png" "$ROOT/vscode-extension/images/screenshot.png"
  cp "$WORK/out/ztc-vscode-hover.png" "$ROOT/vscode-extension/images/hover.png"
  echo "== updated vscode-extension/images/screenshot.png and hover.png"
fi
echo "== artifacts: $WORK/out (screenshots, summary.json)"
exit $rc
