#!/usr/bin/env bash
# Rebuilds vendor/ffmpeg: a stripped, fully static x86-64 Linux ffmpeg from Debian bookworm's
# source package, with only the components the bridge uses (LGPL, no external libraries).
# Also rewrites vendor/FFMPEG-BUILD.md and vendor/FFMPEG-LICENSE.md to match the binary.
#
# Run as root on Debian bookworm x86-64 (it installs build tools with apt-get):
#     scripts/build-ffmpeg.sh
# FFMPEG_DEB_VERSION picks the Debian source version (default: the one last vendored); set it to
# "" to take whatever bookworm currently carries. JOBS sets make's parallelism (default 2).
set -euo pipefail

FFMPEG_DEB_VERSION=${FFMPEG_DEB_VERSION-7:5.1.9-0+deb12u1}
JOBS=${JOBS:-2}

repo=$(cd "$(dirname "$0")/.." && pwd)
vendor="$repo/vendor"

[ "$(uname -m)" = x86_64 ] || { echo "build-ffmpeg: needs an x86-64 host" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "build-ffmpeg: needs root for apt-get" >&2; exit 1; }

# apt-get source needs a deb-src entry; mirror the existing deb entries rather than guess a mirror.
if ! grep -rqs '^\(deb-src\|Types:.*deb-src\)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            > /etc/apt/sources.list.d/debian-src.sources
    elif [ -f /etc/apt/sources.list ]; then
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/debian-src.list
    else
        echo "build-ffmpeg: no deb entry to mirror as deb-src" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends build-essential dpkg-dev nasm pkg-config file xz-utils >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source -qq --only-source "ffmpeg${FFMPEG_DEB_VERSION:+=$FFMPEG_DEB_VERSION}" > "$work/source.log" 2>&1 \
    || { cat "$work/source.log" >&2; exit 1; }
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'ffmpeg-*')
deb_version=$(cd "$src" && dpkg-parsechangelog -S Version)

# Upstream's configure defaults to LGPL; --enable-gpl/--enable-nonfree are only set by Debian's
# debian/rules, which is not used here. The filters listed are the ones the ffmpeg CLI builds
# its audio graph from (ffmpeg_select adds anull/aformat/atrim itself).
configure_args=(
    --prefix=/nonexistent
    --arch=x86_64 --target-os=linux
    --enable-static --disable-shared --extra-ldflags=-static --pkg-config-flags=--static
    --disable-everything --disable-autodetect --disable-network --disable-doc
    --disable-ffplay --disable-ffprobe --disable-debug --enable-small
    --disable-avdevice --disable-swscale --disable-postproc
    --enable-protocol=file,pipe
    --enable-demuxer=ogg,wav,aac
    --enable-decoder=opus,vorbis,aac,pcm_s16le,pcm_s24le,pcm_s32le,pcm_f32le,pcm_u8,pcm_alaw,pcm_mulaw
    --enable-encoder=pcm_s16le,aac
    --enable-muxer=wav,adts
    --enable-parser=opus,vorbis,aac
    --enable-filter=aresample,aformat,anull,atrim
)

start=$(date +%s)
cd "$src"
./configure "${configure_args[@]}" > "$work/configure.log"
grep -qx 'License: LGPL version 2.1 or later' "$work/configure.log" \
    || { echo "build-ffmpeg: configure did not select LGPL-2.1+" >&2; exit 1; }
make -j"$JOBS" ffmpeg > "$work/make.log" 2>&1 || { tail -40 "$work/make.log" >&2; exit 1; }
strip --strip-all ffmpeg
build_seconds=$(( $(date +%s) - start ))

if file ffmpeg | grep -q 'dynamically linked'; then
    echo "build-ffmpeg: the result is dynamically linked" >&2
    exit 1
fi

mkdir -p "$vendor"
install -m 0755 ffmpeg "$vendor/ffmpeg"
size=$(stat -c %s "$vendor/ffmpeg")
sha256=$(sha256sum "$vendor/ffmpeg" | cut -d' ' -f1)
gcc_version=$(gcc -dumpfullversion)
libc_version=$(dpkg-query -W -f='${Version}' libc6-dev)

cat > "$vendor/FFMPEG-BUILD.md" <<EOF
# vendor/ffmpeg

A stripped, fully static x86-64 Linux \`ffmpeg\` (no ffprobe, no ffplay) built from Debian
bookworm's \`ffmpeg\` source package by \`scripts/build-ffmpeg.sh\`. Chalice packages the contents
of \`vendor/\` at the root of the Lambda bundle, so it runs as \`/var/task/ffmpeg\`; being static
it needs nothing from Amazon Linux 2023.

| | |
|---|---|
| Debian source package | \`ffmpeg\` $deb_version |
| Size | $size bytes ($(( (size + 1023) / 1024 )) KiB) |
| SHA-256 | \`$sha256\` |
| Build time | ${build_seconds} s (configure + \`make -j$JOBS ffmpeg\` + strip) |
| Toolchain | gcc $gcc_version, glibc (libc6-dev) $libc_version, nasm $(dpkg-query -W -f='${Version}' nasm) |
| License | LGPL-2.1-or-later; no GPL or nonfree parts (see FFMPEG-LICENSE.md) |

It holds only what the bridge and its tests need:

- protocols: file, pipe
- inbound voice notes: ogg demuxer, opus and vorbis decoders, swresample with the aresample and
  aformat filters, pcm_s16le encoder, wav muxer (ogg/opus to 16 kHz mono 16-bit wav)
- outbound agent audio: wav demuxer, pcm_s16le/s24le/s32le/f32le/u8/alaw/mulaw decoders, the
  native aac encoder, adts muxer (wav to AAC in ADTS, because WhatsApp refuses wav)
- aac demuxer and decoder, so the tests can decode the AAC back and check it

## Configure line

\`\`\`
./configure ${configure_args[*]}
\`\`\`

## Rebuilding

As root on Debian bookworm x86-64, from the repository root:

\`\`\`
scripts/build-ffmpeg.sh
\`\`\`

It adds a \`deb-src\` entry mirroring the existing \`deb\` one if there is none, installs
build-essential, dpkg-dev, nasm and pkg-config, fetches the source with \`apt-get source\` into a
temporary directory (removed afterwards), builds, strips, and rewrites \`vendor/ffmpeg\`, this
file and FFMPEG-LICENSE.md. \`FFMPEG_DEB_VERSION=\` (empty) builds bookworm's current version.
EOF

{
    cat <<EOF
# License of vendor/ffmpeg

\`vendor/ffmpeg\` is FFmpeg (https://ffmpeg.org), built from Debian's \`ffmpeg\` $deb_version
source package by \`scripts/build-ffmpeg.sh\`. FFmpeg is licensed under the GNU Lesser General
Public License version 2.1 or later.

This build is LGPL-2.1-or-later only: it is configured without \`--enable-gpl\`,
\`--enable-version3\` or \`--enable-nonfree\` (configure reported
"License: LGPL version 2.1 or later"), with \`--disable-everything --disable-autodetect\` and no
external libraries, so no GPL or nonfree code is linked in. Every component is FFmpeg's own
(ogg, wav, aac and adts formats; opus, vorbis, aac and pcm codecs; swresample).

Being fully static, the binary also contains parts of the GNU C Library from Debian's libc6-dev
(glibc, also LGPL-2.1-or-later; source: \`apt-get source glibc\`). The sources and the build script
named below let anyone relink it with a modified FFmpeg or glibc, as the LGPL requires.

The corresponding source is Debian's \`ffmpeg\` $deb_version source package (\`apt-get source
ffmpeg=$deb_version\`, also at https://snapshot.debian.org/package/ffmpeg/), and
\`scripts/build-ffmpeg.sh\` is the complete build recipe.

The text of the license, from the source package's COPYING.LGPLv2.1, follows.

---

EOF
    cat "$src/COPYING.LGPLv2.1"
} > "$vendor/FFMPEG-LICENSE.md"

echo "build-ffmpeg: vendor/ffmpeg $size bytes, ffmpeg $deb_version, ${build_seconds}s"
