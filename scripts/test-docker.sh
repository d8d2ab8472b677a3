#!/usr/bin/env bash
# Starts a private Docker engine for the tests and imports the busybox test image.
#   scripts/test-docker.sh start   → prints DOCKER_HOST=unix://… on its last line
#   scripts/test-docker.sh stop
# Needs root, and Debian's docker.io and busybox-static (apt-get install -y docker.io busybox-static);
# the rest of the test suite needs openssl too (.ci/run installs all three).
# No registry is reachable: the image `hookd-test/busybox:latest` is imported from a local rootfs tar.
set -euo pipefail
DIR=${HOOKD_TEST_DOCKER_DIR:-/tmp/hookd-test-docker}
SOCK="$DIR/docker.sock"
IMAGE=${HOOKD_TEST_IMAGE:-hookd-test/busybox:latest}
# A DOCKER_HOST that answers is used as it is; otherwise the private engine in $DIR.
if [ -z "${DOCKER_HOST:-}" ] || ! docker version >/dev/null 2>&1; then
  export DOCKER_HOST="unix://$SOCK"
fi

busybox_bin() {
  for b in /bin/busybox /usr/bin/busybox; do
    if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then echo "$b"; return 0; fi
  done
  echo "no static busybox found: apt-get install -y busybox-static" >&2
  return 1
}

start() {
  mkdir -p "$DIR"
  if ! docker version >/dev/null 2>&1; then
    command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install -y docker.io" >&2; exit 1; }
    rm -f "$SOCK" "$DIR/dockerd.pid"
    nohup dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
      -H "unix://$SOCK" --data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$DIR/dockerd.pid" \
      >"$DIR/dockerd.log" 2>&1 &
    for _ in $(seq 1 150); do
      docker version >/dev/null 2>&1 && break
      sleep 0.2
    done
    docker version >/dev/null 2>&1 || { echo "dockerd did not come up; its log:" >&2; tail -n 30 "$DIR/dockerd.log" >&2; exit 1; }
  fi
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    local bb root
    bb=$(busybox_bin)
    root=$(mktemp -d)
    mkdir -p "$root/usr/bin" "$root/bin" "$root/tmp" "$root/etc" "$root/root"
    cp "$bb" "$root/usr/bin/busybox"
    for applet in $("$bb" --list); do
      [ "$applet" = busybox ] || ln -sf /usr/bin/busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    tar -C "$root" -cf "$DIR/rootfs.tar" .
    docker import -c 'ENV PATH=/bin:/usr/bin' -c 'CMD ["/bin/sh"]' "$DIR/rootfs.tar" "$IMAGE" >/dev/null
    rm -rf "$root" "$DIR/rootfs.tar"
  fi
  echo "DOCKER_HOST=$DOCKER_HOST"
}

stop() {
  if [ -f "$DIR/dockerd.pid" ]; then
    kill "$(cat "$DIR/dockerd.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -f "$DIR/dockerd.pid" ] || break; sleep 0.2; done
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
