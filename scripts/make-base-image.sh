#!/usr/bin/env bash
# Build a local Debian base image for the Dockerfile's BASE_IMAGE without any container registry:
# debootstrap (minbase + python3 + python3-venv + pip) from the Debian mirror apt already uses, then
# import the root filesystem into buildah's storage as $BASE_TAG.
#
#   sudo scripts/make-base-image.sh            # builds localhost/nianbao-base:bookworm once; reruns are no-ops
#   FORCE=1 scripts/make-base-image.sh         # rebuild
#
# Needs root, debootstrap and buildah (Debian: apt-get install debootstrap buildah).
# Variables: BASE_TAG, SUITE (bookworm), MIRROR (default: the first Debian URI apt uses), CACHE_DIR (where the
# rootfs tarball is kept: /var/cache/nianbao-base), FORCE, HOST_CA (1: trust this host's local CAs, see below).
#
# Behind a TLS-inspecting proxy, pip in the build must trust the proxy's CA: with HOST_CA=1 (default) the host's
# /usr/local/share/ca-certificates/*.crt are added to the image's store and PIP_CERT points at it. This is a
# property of this site-local base image only; the Dockerfile stays generic.
set -euo pipefail

BASE_TAG=${BASE_TAG:-localhost/nianbao-base:bookworm}
SUITE=${SUITE:-bookworm}
CACHE_DIR=${CACHE_DIR:-/var/cache/nianbao-base}
PACKAGES=python3,python3-venv,python3-pip,ca-certificates
HOST_CA=${HOST_CA:-1}
CA_DIR=/usr/local/share/ca-certificates

log() { printf '[make-base-image] %s\n' "$*" >&2; }

apt_mirror() {
    # The first non-security Debian URI in apt's sources (deb822 "URIs:" or one-line "deb URI suite").
    local files=() uri
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] && files+=("$f")
    done
    if ((${#files[@]})); then
        uri=$(awk '/^[[:space:]]*URIs:/ {for (i = 2; i <= NF; i++) print $i}
                   /^[[:space:]]*deb[[:space:]]/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' \
                  "${files[@]}" | grep -E '/debian/?$' | grep -v security | head -n1 || true)
    fi
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

host_cas() { [[ $HOST_CA == 1 ]] && compgen -G "$CA_DIR/*.crt" >/dev/null && cat "$CA_DIR"/*.crt; }
CA_DIGEST=$( (host_cas || true) | sha256sum | cut -c1-16)

if [[ -z ${FORCE:-} ]] && buildah inspect --type image "$BASE_TAG" >/dev/null 2>&1; then
    if [[ $(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "nianbao.host-ca"}}' "$BASE_TAG") == "$CA_DIGEST" ]]; then
        log "$BASE_TAG exists (FORCE=1 rebuilds it)"
        exit 0
    fi
    log "$BASE_TAG exists but the host's CAs changed: re-importing"
fi

for tool in debootstrap buildah tar; do
    command -v "$tool" >/dev/null || { log "missing $tool (apt-get install debootstrap buildah)"; exit 2; }
done

MIRROR=${MIRROR:-$(apt_mirror)}
mkdir -p "$CACHE_DIR"
TARBALL="$CACHE_DIR/$SUITE-minbase-python3.tar"

if [[ -n ${FORCE:-} || ! -s $TARBALL ]]; then
    ROOTFS=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
    trap 'rm -rf "$ROOTFS"' EXIT
    log "debootstrap $SUITE (minbase + $PACKAGES) from $MIRROR"
    debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
        || { tail -n 30 "$CACHE_DIR/debootstrap.log" >&2; exit 1; }
    # Slim it down as python:*-slim is: no package caches, lists, docs or man pages.
    rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
           "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/* \
           "$ROOTFS"/var/log/*.log "$ROOTFS"/var/cache/debconf/*-old
    find "$ROOTFS/dev" -mindepth 1 -delete  # the container runtime provides /dev
    tar --numeric-owner --xattrs -C "$ROOTFS" -cf "$TARBALL.tmp" .
    mv "$TARBALL.tmp" "$TARBALL"
    rm -rf "$ROOTFS"
    trap - EXIT
else
    log "reusing $TARBALL"
fi

log "importing into buildah as $BASE_TAG"
ctr=$(buildah from scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
buildah add "$ctr" "$TARBALL" / >/dev/null
if host_cas >/dev/null; then
    log "adding the host's CAs: $(cd "$CA_DIR" && echo *.crt)"
    buildah copy "$ctr" "$CA_DIR" "$CA_DIR" >/dev/null
    buildah run --isolation chroot "$ctr" -- update-ca-certificates >/dev/null 2>&1
    buildah config --env PIP_CERT=/etc/ssl/certs/ca-certificates.crt "$ctr"
fi
buildah config --label "nianbao.host-ca=$CA_DIGEST" "$ctr"
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8 \
    --cmd '["python3"]' --label org.opencontainers.image.description="Debian $SUITE minbase + python3 (nianbao smoke base)" \
    "$ctr"
buildah commit --quiet --rm "$ctr" "$BASE_TAG" >/dev/null
trap - EXIT
log "done: $(buildah images --noheading --format '{{.Name}}:{{.Tag}} {{.Size}}' "$BASE_TAG")"
