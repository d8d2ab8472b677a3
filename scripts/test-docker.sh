#!/usr/bin/env bash
# A Docker engine for the tests, with the busybox test image imported.
#   scripts/test-docker.sh start      → its last line is DOCKER_HOST=unix://…
#   scripts/test-docker.sh stop DIR   → stops the engine that `start` started in DIR
#
# `start` uses DOCKER_HOST as it is when that engine answers. Otherwise it starts a private
# dockerd in HOOKD_TEST_DOCKER_DIR, or in a new directory of its own (mktemp), and then prints
# HOOKD_TEST_DOCKER_STARTED=DIR: only such an engine is ever stopped, by `stop DIR`. A directory
# that `start` made is removed by `stop`. With HOOKD_TEST_DOCKER_OWNER_PID set, the engine is
# also stopped once that process has gone, however it ended (the test run, a benchmark).
#
# Starting an engine needs root, and Debian's docker.io and busybox-static
# (apt-get install -y docker.io busybox-static); the rest of the test suite needs openssl too
# (.ci/run installs all three). No registry is reachable: the image `hookd-test/busybox:latest`
# is imported from a rootfs tar made here.
set -euo pipefail
IMAGE=${HOOKD_TEST_IMAGE:-hookd-test/busybox:latest}
MADE_HERE=.made-by-test-docker

answers() { docker version >/dev/null 2>&1; }

busybox_bin() {
  for b in /bin/busybox /usr/bin/busybox; do
    if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then echo "$b"; return 0; fi
  done
  echo "no static busybox found: apt-get install -y busybox-static" >&2
  return 1
}

import_busybox() {
  docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
  local bb root
  bb=$(busybox_bin)
  root=$(mktemp -d)
  chmod 755 "$root"
  mkdir -p "$root/usr/bin" "$root/bin" "$root/tmp" "$root/etc" "$root/root"
  cp "$bb" "$root/usr/bin/busybox"
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -sf /usr/bin/busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin:/usr/bin' -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
  rm -rf "$root"
}

# Stops the dockerd whose pid file is in $1 and waits for it (and the containerd it started) to exit.
stop_engine() {
  local dir=$1 pid
  pid=$(cat "$dir/dockerd.pid" 2>/dev/null) || pid=""
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # What dockerd leaves mounted (its network namespace file) would make the directory unremovable.
  local mounts
  mounts=$(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
  for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  if [ -f "$dir/$MADE_HERE" ]; then rm -rf "$dir"; fi
}

# overlay2 where the kernel lets us mount an overlay (layers cost nothing), else vfs (a full copy
# of the file system per layer: slow to build images on).
storage_driver() {
  local t
  t=$(mktemp -d)
  mkdir "$t/l" "$t/u" "$t/w" "$t/m"
  if mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null; then
    umount "$t/m"
    echo overlay2
  else
    echo vfs
  fi
  rm -rf "$t"
}

start_engine() {
  local dir=$1 sock="$1/docker.sock"
  command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install -y docker.io" >&2; return 1; }
  rm -f "$sock"
  nohup dockerd --storage-driver="$(storage_driver)" --iptables=false --ip6tables=false --bridge=none \
    -H "unix://$sock" --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    </dev/null >"$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 150); do
    answers && return 0
    sleep 0.2
  done
  echo "dockerd did not come up; its log:" >&2
  tail -n 30 "$dir/dockerd.log" >&2
  return 1
}

start() {
  if [ -n "${DOCKER_HOST:-}" ] && answers; then
    import_busybox
    echo "DOCKER_HOST=$DOCKER_HOST"
    return 0
  fi
  local dir
  if [ -n "${HOOKD_TEST_DOCKER_DIR:-}" ]; then
    dir=$HOOKD_TEST_DOCKER_DIR
    mkdir -p "$dir"
  else
    # Short: a unix socket path holds at most 107 bytes.
    dir=$(mktemp -d /tmp/hookd-docker.XXXXXX)
    touch "$dir/$MADE_HERE"
  fi
  export DOCKER_HOST="unix://$dir/docker.sock"
  if answers; then
    # An engine someone else left running there (HOOKD_KEEP_TEST_DOCKER=1): used, never stopped.
    import_busybox
    echo "DOCKER_HOST=$DOCKER_HOST"
    return 0
  fi
  if ! start_engine "$dir"; then
    stop_engine "$dir"
    exit 1
  fi
  if [ -n "${HOOKD_TEST_DOCKER_OWNER_PID:-}" ]; then
    local owner=$HOOKD_TEST_DOCKER_OWNER_PID
    # Detached, with no stdio of the caller's: it must not hold the caller's pipes open.
    (
      while kill -0 "$owner" 2>/dev/null; do sleep 1; done
      stop_engine "$dir"
    ) </dev/null >/dev/null 2>&1 &
    disown
  fi
  import_busybox
  echo "HOOKD_TEST_DOCKER_STARTED=$dir"
  echo "DOCKER_HOST=$DOCKER_HOST"
}

case "${1:-}" in
  start) start ;;
  stop)
    [ -n "${2:-}" ] || { echo "usage: $0 stop DIR (the HOOKD_TEST_DOCKER_STARTED of start)" >&2; exit 2; }
    stop_engine "$2"
    ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
