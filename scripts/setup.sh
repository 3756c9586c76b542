#!/usr/bin/env bash
# Set up rnn-viz on a fresh Debian machine: the system libraries Qt needs, a virtual environment in
# .venv and the package (with test extras when called with --test). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Qt needs these shared libraries, which a bare Debian lacks (pip cannot install them): the first eight
# for the headless platform, the xcb ones for a real window (a display, or Xvfb). With only the first
# eight present, the window refuses to start ("Could not load the Qt platform plugin xcb"), so every
# one is checked.
libs=(libglib-2.0.so.0 libEGL.so.1 libGL.so.1 libX11.so.6 libdbus-1.so.3 libfontconfig.so.1
      libfreetype.so.6 libxkbcommon.so.0 libxkbcommon-x11.so.0 libxcb-cursor.so.0 libxcb-icccm.so.4
      libxcb-image.so.0 libxcb-keysyms.so.1 libxcb-render-util.so.0 libxcb-shape.so.0 libxcb-xkb.so.1)
missing=0
for lib in "${libs[@]}"; do
    ldconfig -p 2>/dev/null | grep -q "$lib" || missing=1
done
if [ "$missing" = 1 ]; then
    echo "setup: installing the system libraries Qt needs" >&2
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
        libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0 \
        libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
        libxcb-render-util0 libxcb-shape0 libxcb-xkb1 >/dev/null
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
# An editable install compiles no bytecode, and Python does not write it where
# PYTHONDONTWRITEBYTECODE is set: then every start compiled about 100 modules (0.15-0.2 s of the
# window's start-up, measured). A wheel install compiles at install time (pip's default).
.venv/bin/python -m compileall -q rnn_viz
