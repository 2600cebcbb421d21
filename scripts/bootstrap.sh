#!/usr/bin/env bash
# Sourced by the other scripts: creates .venv with Python 3.11 and installs the pinned
# requirements, again only when a requirements file changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LIANLUO_VENV:-$ROOT/.venv}"
REQUIREMENTS="${1:-requirements.txt}"

find_python() {
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "需要 Python 3.11（Python 3.11 is required）" >&2
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    PYTHON="$(find_python)"
    echo "→ 创建虚拟环境 creating virtualenv at $VENV"
    "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.requirements-$(cat "$ROOT/requirements.txt" "$ROOT/$REQUIREMENTS" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "→ 安装依赖 installing $REQUIREMENTS"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -r "$ROOT/$REQUIREMENTS"
    rm -f "$VENV"/.requirements-*
    touch "$stamp"
fi

export PATH="$VENV/bin:$PATH"
cd "$ROOT"

# The platform's own translations (locale/): compiled to .mo files (not kept in git) when a
# .po file is newer, with GNU gettext's msgfmt as `manage.py compilemessages` does.
if ! command -v msgfmt >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "→ 安装 gettext installing gettext (msgfmt)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null
    else
        echo "编译界面译文需要 msgfmt：sudo apt-get install gettext（msgfmt is required: install gettext）" >&2
        exit 1
    fi
fi
for po in locale/*/LC_MESSAGES/*.po; do
    mo="${po%.po}.mo"
    if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
        msgfmt --check-format -o "$mo" "$po"
    fi
done
mkdir -p "${LIANLUO_VAR_DIR:-var}"
