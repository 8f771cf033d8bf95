#!/usr/bin/env bash
# Creates (once) the interop virtual environment with the real Hugging Face stack, offline, from the
# local wheel folders pip is configured with on this project's machines, and prints its python.
# Exit 3: no local wheels here (the interop checks are then skipped).
set -eu
V="${ALIGN4J_INTEROP_VENV:-$HOME/.cache/align4j/interop-venv}"
PKGS=(torch==2.13.0+cpu transformers==5.17.0 peft==0.21.0 trl==1.13.0)
if ! "$V/bin/python" -c "import torch, transformers, peft, trl" > /dev/null 2>&1; then
  links=$(pip config get global.find-links 2>/dev/null || true)
  read -r -a idx <<< "$(pip config get global.extra-index-url 2>/dev/null || true)"
  [ "${#idx[@]}" -gt 0 ] || { echo "interop: no local package index configured for pip on this machine" >&2; exit 3; }
  args=(--index-url "${idx[0]}")
  for u in "${idx[@]:1}"; do args+=(--extra-index-url "$u"); done
  [ -n "$links" ] && args+=(--find-links "$links")
  rm -rf "$V"; mkdir -p "$(dirname "$V")"; python3 -m venv "$V" >&2
  "$V/bin/pip" install -q "${args[@]}" "${PKGS[@]}" 2>&1 | grep -v "is neither a file nor a directory" >&2 || true
  "$V/bin/python" -c "import torch, transformers, peft, trl" > /dev/null 2>&1 \
    || { echo "interop: installing ${PKGS[*]} from the local wheels failed" >&2; exit 3; }
fi
echo "$V/bin/python"
