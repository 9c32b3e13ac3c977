#!/usr/bin/env bash
# Install the container tools and build the stand-in Python base image the container tests use.
#
# There is no Docker engine and no registry on the test machines, so the official images cannot be
# pulled. This builds `localhost/standin-python:3.11-slim` from Debian bookworm (python3 is 3.11
# there) with debootstrap and imports it into the tests' own container storage (see below), which
# buildah and podman share. Like the
# official image it has Python's C headers (unpacked, not installed as a -dev package).
# The official nginx image cannot be pulled either: `localhost/standin-nginx:bookworm` is that base
# plus Debian's nginx-light, configured like the official image (serves /usr/share/nginx/html on
# port 80, runs `nginx -g "daemon off;"`, logs to stdout/stderr).
# The official node image cannot be pulled either: `localhost/standin-node:bookworm` is the Python
# base plus Debian's nodejs and npm, for the front-end (assets) stage of a generated Dockerfile.
# `localhost/standin-python:3.7-slim` stands in for python:3.7-slim-bookworm (an old Django's
# image): the Python 3.11 base with Debian's python3 taken out and pyenv's CPython 3.7 build of
# this machine (built on the same Debian bookworm) put at /usr/local, as the official image has
# it: python, python3, python3.7 and pip on PATH, libpython in /usr/local/lib. No new download:
# skipped, saying so, where pyenv has no 3.7 (the tests of an image on it are skipped then).
# The same for other Pythons on request (STANDIN_EXTRA_PYTHONS="3.12"), for `djfix verify
# --image` on a project whose Django needs a newer Python than the 3.11 base.
# The images live in a container storage of the tests' own, described by $STORAGE_CONF (written
# here, read by the tests): the overlay driver where the kernel mounts overlay file systems, else
# vfs. A vfs build step copies the whole file system: measured on 2 cores, an api image took 107 s
# on vfs and 38 s on overlay, and its static stage, built next with --layers, 2 s (the builder
# stage cached) instead of about 80. An existing storage keeps the driver it was made with.
# Needs root and apt-get; idempotent: skips each image that already exists.
set -euo pipefail

IMAGE="${STANDIN_PYTHON_IMAGE:-localhost/standin-python:3.11-slim}"
NGINX_IMAGE="${STANDIN_NGINX_IMAGE:-localhost/standin-nginx:bookworm}"
NODE_IMAGE="${STANDIN_NODE_IMAGE:-localhost/standin-node:bookworm}"
PYTHON37_IMAGE="${STANDIN_PYTHON37_IMAGE:-localhost/standin-python:3.7-slim}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "container_base.sh: needs root and apt-get; the container tests will be skipped" >&2
    exit 0
fi

missing=()
for tool in buildah podman debootstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

STORAGE_ROOT="${DJFIX_TEST_STORAGE:-/var/lib/djfix-tests}"
STORAGE_CONF="$STORAGE_ROOT/storage.conf"
if [ -f "$STORAGE_CONF" ]; then
    driver="$(sed -n 's/^driver *= *"\(.*\)"$/\1/p' "$STORAGE_CONF")"
else
    driver=vfs
    probe="$(mktemp -d)"
    mkdir "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
    if mount -t overlay overlay \
        -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" \
        2>/dev/null; then
        umount "$probe/merged"
        driver=overlay
    fi
    rm -rf "$probe"
    mkdir -p "$STORAGE_ROOT"
    printf '%s\n' "[storage]" "driver = \"$driver\"" "graphroot = \"$STORAGE_ROOT/storage\"" \
        "runroot = \"/run/djfix-tests\"" >"$STORAGE_CONF"
fi
echo "container_base.sh: container storage $STORAGE_CONF ($driver driver)"
export CONTAINERS_STORAGE_CONF="$STORAGE_CONF"
podman=(podman)
buildah=(buildah)

if "${podman[@]}" image exists "$IMAGE"; then
    echo "container_base.sh: $IMAGE already present"
else
    rootfs="$(mktemp -d)"
    trap 'rm -rf "$rootfs"' EXIT
    chmod 755 "$rootfs"  # it becomes the image's /: mktemp's 0700 locks out non-root users
    debootstrap --variant=minbase \
        --include=python3,python3-venv,python-is-python3,ca-certificates \
        bookworm "$rootfs" "$MIRROR" >/dev/null
    # The official image has Python's headers (dependencies built from source need them) but no
    # -dev package: unpack the headers alone, leaving dpkg's list as it is.
    [ -s "$rootfs/etc/resolv.conf" ] || cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
    chroot "$rootfs" sh -ec 'cd /tmp && apt-get download -qq libpython3.11-dev 2>/dev/null
        dpkg-deb -x libpython3.11-dev_*.deb /tmp/dev && cp -a /tmp/dev/usr/include/. /usr/include/
        rm -rf /tmp/dev /tmp/*.deb'
    test -e "$rootfs/usr/include/python3.11/Python.h"
    # pip inside a build reaches the package index only through this machine's proxy, whose
    # certificate is in this machine's bundle: PIP_CERT for pip, REQUESTS_CA_BUNDLE for the
    # installers that fetch from the index with their own HTTP session (pipenv's hash lookup).
    cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
    # apt set up the way the official Debian-based images have it: no package caches left
    # behind by apt-get in a RUN step (an image built on the stand-in is then sized alike)
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
    echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | "${podman[@]}" import --quiet \
        --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
        --change 'ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt' - "$IMAGE" >/dev/null
    rm -rf "$rootfs"
    trap - EXIT
    echo "container_base.sh: built $IMAGE"
fi

if "${podman[@]}" image exists "$NGINX_IMAGE"; then
    echo "container_base.sh: $NGINX_IMAGE already present"
else
    ctr="$("${buildah[@]}" from --quiet "$IMAGE")"
    trap '"${buildah[@]}" rm "$ctr" >/dev/null' EXIT
    "${buildah[@]}" run --isolation chroot --network host "$ctr" -- sh -ec '
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
        rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
        ln -sf /dev/stdout /var/log/nginx/access.log
        ln -sf /dev/stderr /var/log/nginx/error.log
        printf "%s\n" "server {" "    listen 80;" "    server_name localhost;" \
            "    location / {" "        root /usr/share/nginx/html;" "        index index.html;" \
            "    }" "}" >/etc/nginx/conf.d/default.conf
    '
    "${buildah[@]}" config --env PIP_CERT- --env REQUESTS_CA_BUNDLE- --port 80 --stop-signal SIGQUIT \
        --cmd '["nginx", "-g", "daemon off;"]' "$ctr"
    "${buildah[@]}" commit --quiet "$ctr" "$NGINX_IMAGE" >/dev/null
    "${buildah[@]}" rm "$ctr" >/dev/null
    trap - EXIT
    echo "container_base.sh: built $NGINX_IMAGE"
fi

if "${podman[@]}" image exists "$NODE_IMAGE"; then
    echo "container_base.sh: $NODE_IMAGE already present"
else
    ctr="$("${buildah[@]}" from --quiet "$IMAGE")"
    trap '"${buildah[@]}" rm "$ctr" >/dev/null' EXIT
    "${buildah[@]}" run --isolation chroot --network host "$ctr" -- sh -ec '
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
        rm -rf /var/lib/apt/lists/*
    '
    # npm reaches the registry through the same proxy as pip
    "${buildah[@]}" config --env PIP_CERT- --env REQUESTS_CA_BUNDLE- \
        --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
        --cmd '["node"]' "$ctr"
    "${buildah[@]}" commit --quiet "$ctr" "$NODE_IMAGE" >/dev/null
    "${buildah[@]}" rm "$ctr" >/dev/null
    trap - EXIT
    echo "container_base.sh: built $NODE_IMAGE"
fi

pyenv_prefix() {  # the prefix of pyenv's newest build of Python $1, or nothing
    local root="${PYENV_ROOT:-$HOME/.pyenv}" pyenv
    pyenv="$(command -v pyenv || echo "$root/bin/pyenv")"
    if [ -x "$pyenv" ]; then
        "$pyenv" prefix "$1" 2>/dev/null && return
    fi
    # pyenv not installed as a command: its versions folder, newest patch release last
    find "$root/versions" -maxdepth 1 -name "$1.*" 2>/dev/null | sort -V | tail -n 1
}

pyenv_standin() {  # pyenv_standin X.Y IMAGE: the Python base with pyenv's CPython X.Y at /usr/local
    local minor="$1" image="$2" prefix version stage ctr
    if "${podman[@]}" image exists "$image"; then
        echo "container_base.sh: $image already present"
        return
    fi
    if ! prefix="$(pyenv_prefix "$minor")" || [ -z "$prefix" ] || [ ! -x "$prefix/bin/python$minor" ]; then
        echo "container_base.sh: no pyenv Python $minor here: $image not built, the tests of" \
            "images on Python $minor will be skipped" >&2
        return
    fi
    version="$("$prefix/bin/python$minor" -c 'import platform; print(platform.python_version())')"
    stage="$(mktemp -d)"
    ctr="$("${buildah[@]}" from --quiet "$IMAGE")"
    trap '"${buildah[@]}" rm "$ctr" >/dev/null; rm -rf "$stage"' EXIT
    # what the official image leaves out (tests, bytecode, the static library), and no .pth
    # file: only Python, pip and setuptools as pyenv installed them
    tar -C "$prefix" -c \
        --exclude='*.pth' \
        --exclude='test' --exclude='tests' --exclude='idle_test' \
        --exclude='*.pyc' --exclude='*.pyo' --exclude='__pycache__' --exclude='libpython*.a' \
        bin include lib share | tar -C "$stage" -x
    # pyenv's prefix is written in the scripts' #! lines, sysconfig's data and the config
    # scripts: it is /usr/local in the image
    grep -rlI --null -F "$prefix" "$stage" | xargs -0 -r sed -i "s#$prefix#/usr/local#g"
    "${buildah[@]}" copy --quiet "$ctr" "$stage" /usr/local >/dev/null
    # Debian's python3 out, its libraries (ssl, sqlite, expat...) kept: pyenv's build links the
    # same ones. The build is made with --enable-shared (libpython3.Ym.so, copied with lib/):
    # ldconfig finds it in /usr/local/lib, where the official image has it.
    "${buildah[@]}" run --isolation chroot "$ctr" -- sh -ec '
        # (its removal scripts complain about the folders they remove: shown only on failure)
        dpkg --purge python-is-python3 python3-venv python3.11-venv python3 python3-minimal \
            python3.11 python3.11-minimal python3-distutils python3-lib2to3 \
            libpython3-stdlib libpython3.11-stdlib libpython3.11-minimal \
            python3-pip-whl python3-setuptools-whl >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; exit 1; }
        rm -f /tmp/purge.log
        rm -rf /usr/include/python3.11 /usr/lib/python3.11 /usr/lib/python3
        ldconfig
        for name in python python3 python'"$minor"' pip; do
            [ "$(command -v $name)" = "/usr/local/bin/$name" ]
        done
        python -c "import ssl, sqlite3, ctypes, bz2, lzma, zlib, uuid, decimal, readline, venv"
        python -m venv /tmp/venv && /tmp/venv/bin/python -m pip --version >/dev/null
        rm -rf /tmp/venv /root/.cache
    '
    "${buildah[@]}" config --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
        --env LANG=C.UTF-8 --env PYTHON_VERSION="$version" --cmd '["python3"]' "$ctr"
    "${buildah[@]}" commit --quiet "$ctr" "$image" >/dev/null
    "${buildah[@]}" rm "$ctr" >/dev/null
    rm -rf "$stage"
    trap - EXIT
    echo "container_base.sh: built $image (pyenv's Python $version)"
}

pyenv_standin 3.7 "$PYTHON37_IMAGE"
# more stand-ins on request, for `djfix verify --image` on projects that need another Python
# (STANDIN_EXTRA_PYTHONS="3.12": localhost/standin-python:3.12-slim); none in the tests
for minor in ${STANDIN_EXTRA_PYTHONS:-}; do
    pyenv_standin "$minor" "localhost/standin-python:$minor-slim"
done
