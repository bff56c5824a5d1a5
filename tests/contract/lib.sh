# Shared by ./lint and ./fuzz: installs this folder's own dependencies, on demand.
# Caches stay inside this folder (node_modules/, .venv/, .npm-cache/, .pip-cache/).

CONTRACT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$CONTRACT_DIR/../.." && pwd)"

# No telemetry, no update notices, no colour codes in logs.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true SCARF_ANALYTICS=false
export NO_COLOR=1 npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

ensure_node_deps() {
  local stamp="$CONTRACT_DIR/node_modules/.safetrain-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$CONTRACT_DIR/package-lock.json" "$stamp"; then
    echo "contract: npm ci (package-lock.json)" >&2
    (cd "$CONTRACT_DIR" && npm ci --no-audit --no-fund --cache "$CONTRACT_DIR/.npm-cache" >&2)
    cp "$CONTRACT_DIR/package-lock.json" "$stamp"
  fi
}

ensure_python_deps() {
  local venv="$CONTRACT_DIR/.venv" stamp="$CONTRACT_DIR/.venv/.safetrain-requirements"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$CONTRACT_DIR/requirements.txt" "$stamp"; then
    echo "contract: python venv + pip install -r requirements.txt" >&2
    local py
    py="$(command -v python3.11 || command -v python3)"
    "$py" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      --cache-dir "$CONTRACT_DIR/.pip-cache" -r "$CONTRACT_DIR/requirements.txt" >&2
    cp "$CONTRACT_DIR/requirements.txt" "$stamp"
  fi
}
