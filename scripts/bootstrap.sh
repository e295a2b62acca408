#!/usr/bin/env bash
# Create (or refresh) a virtual environment from uv.lock, using only a local Python >= 3.12
# and the package registries.
#
#   scripts/bootstrap.sh ENV_DIR [uv sync options...]
#
# Why a script and not `uv sync` alone: uv may be absent, and on some machines the `python3.12`
# on PATH is a pyenv shim that fails, while `uv` on its own would try to download an
# interpreter (impossible offline).  So we find an interpreter that really runs, install a
# pinned uv into a private tools venv with it, and hand uv the interpreter path explicitly.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
env_dir=${1:?usage: bootstrap.sh ENV_DIR [uv sync options]}
shift
UV_VERSION=0.13.8
export UV_PYTHON_DOWNLOADS=never

usable() {  # prints the interpreter's path when it runs and is >= 3.12
  local cand=$1 out
  out=$("$cand" -c 'import sys; print(sys.executable if sys.version_info >= (3, 12) else "")' 2>/dev/null) || return 1
  [[ -n $out ]] && printf '%s\n' "$out"
}

find_python() {
  local cand
  if [[ -n ${BLUECARBON_PYTHON:-} ]]; then
    usable "$BLUECARBON_PYTHON" && return 0
    echo "BLUECARBON_PYTHON=$BLUECARBON_PYTHON is not a working Python >= 3.12" >&2
    return 1
  fi
  for cand in python3.14 python3.13 python3.12 python3 python; do
    command -v "$cand" >/dev/null 2>&1 && usable "$cand" && return 0
  done
  # pyenv shims fail when the global version is older; look at pyenv's installs directly.
  local root=${PYENV_ROOT:-$HOME/.pyenv}
  for cand in "$root"/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [[ -x $cand ]] && usable "$cand" && return 0
  done
  return 1
}

if ! py=$(find_python); then
  cat >&2 <<'MSG'
error: no Python 3.12 or newer was found (tried python3.14 .. python3, pyenv versions, /usr/bin).
Install one, for example:
  Debian 13 / Ubuntu 24.04:  sudo apt install python3 python3-venv
  Older Debian/Ubuntu:       install Python 3.12 from python.org or `pyenv install 3.12`
or point BLUECARBON_PYTHON at an interpreter:  BLUECARBON_PYTHON=/path/to/python3.12 make demo
MSG
  exit 2
fi

tools="$here/.tools"
if [[ ! -x $tools/bin/uv ]] || [[ $("$tools/bin/uv" --version 2>/dev/null) != "uv $UV_VERSION"* ]]; then
  echo "bootstrap: installing uv $UV_VERSION with $py" >&2
  "$py" -m venv --clear "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

cd "$here"
# Bytecode once per lock state: without it every command compiles its imports from source
# (8-10 s of start-up for `bluecarbon transitions` on 2 cores when PYTHONDONTWRITEBYTECODE is
# set, as on CI). A no-op compile pass still costs ~3 s, hence the stamp.
stamp=".bytecode-$(sha256sum uv.lock | cut -c1-16)"
compile=()
[[ -e $env_dir/$stamp ]] || compile=(--compile-bytecode)
UV_PROJECT_ENVIRONMENT="$env_dir" "$tools/bin/uv" sync --frozen --python "$py" --quiet "${compile[@]}" "$@"
if [[ ${#compile[@]} -gt 0 ]]; then
  rm -f "$env_dir"/.bytecode-*
  touch "$env_dir/$stamp"
fi
