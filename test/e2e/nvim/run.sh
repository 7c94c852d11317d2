#!/usr/bin/env bash
# Headless Neovim (Debian bookworm: 0.7.2) as a real LSP client of the built `ztc lsp --stdio`.
# Usage: bash test/e2e/nvim/run.sh   (npm run test:nvim). Installs neovim with apt when missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ztc-nvim-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if ! command -v nvim >/dev/null; then
  echo "== installing neovim (apt)"
  if [ "$(id -u)" = 0 ]; then APT=(apt-get); else APT=(sudo apt-get); fi
  timeout 300 "${APT[@]}" update -qq || true
  timeout 600 "${APT[@]}" install -y --no-install-recommends neovim >/dev/null
fi
[ -f "$ROOT/dist/ztc.js" ] || node "$ROOT/scripts/build.mjs"
cp -r "$ROOT/examples/acme" "$WORK/acme"
rm -rf "$WORK/acme/out"
# Keep Neovim's state, shada and logs out of $HOME.
export XDG_STATE_HOME=$WORK/state XDG_CACHE_HOME=$WORK/cache XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config
rc=0
ZTC_BIN="$ROOT/bin/ztc.js" ZTC_PROJECT="$WORK/acme" ZTC_CONFIG="$HERE/ztc.lua" ZTC_OUT="$WORK/result.txt" \
  timeout 90 nvim --headless --clean -c "luafile $HERE/lsp_test.lua" </dev/null >/dev/null 2>&1 || rc=$?
cat "$WORK/result.txt" 2>/dev/null || echo "no result (nvim exit $rc)"
# Neovim 0.7's LSP log, when something went wrong.
[ $rc -eq 0 ] || tail -n 30 "$WORK/state/nvim/lsp.log" "$WORK/cache/nvim/lsp.log" 2>/dev/null || true
exit $rc
