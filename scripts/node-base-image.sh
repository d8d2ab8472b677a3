#!/usr/bin/env bash
# Makes a stand-in for node:24-slim from this machine, offline, and loads it with `docker import`:
#   scripts/node-base-image.sh IMAGE        (DOCKER_HOST: the engine to load it into)
# A root filesystem holding the Node binary that runs here (NODE, default: `node` on PATH) and the
# shared libraries `ldd` lists for it, npm (NPM_DIR, default: the one `npm` on PATH runs), a static
# busybox for the shell and the few commands a Dockerfile's RUN needs, and the image's `node` user
# (uid 1000), as in the official image. The root Dockerfile is built on it in test/docker/image.test.ts.
set -euo pipefail
IMAGE=${1:?usage: $0 IMAGE}
NODE=${NODE:-$(command -v node)}
NPM_DIR=${NPM_DIR:-$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")}
[ -f "$NPM_DIR/bin/npm-cli.js" ] || { echo "no npm at $NPM_DIR (set NPM_DIR)" >&2; exit 1; }

busybox=""
for b in /bin/busybox /usr/bin/busybox; do
  if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then busybox=$b; break; fi
done
[ -n "$busybox" ] || { echo "no static busybox found: apt-get install -y busybox-static" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root" # the image's /: mktemp made it 0700, which would lock the node user out
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules" "$root/bin" "$root/usr/bin" \
  "$root/etc" "$root/root" "$root/home/node" "$root/tmp"
chmod 1777 "$root/tmp"
chown 1000:1000 "$root/home/node"
cp "$(readlink -f "$NODE")" "$root/usr/local/bin/node"
# The loader and every library, at the paths the binary asks for.
for lib in $(ldd "$NODE" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp -r "$NPM_DIR" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
cp "$busybox" "$root/bin/busybox"
for applet in sh env ln mkdir chown chmod rm cp cat ls id; do ln -s /bin/busybox "$root/bin/$applet"; done
ln -s /bin/env "$root/usr/bin/env"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'CMD ["node"]' - "$IMAGE" >/dev/null
echo "$IMAGE"
