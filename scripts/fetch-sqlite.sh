#!/bin/sh
# fetch-sqlite.sh DEST — obtain the pinned SQLite 3.52.0 amalgamation.
#
# The amalgamation is never committed.  It comes from the pristine upstream
# autoconf tarball that the npm package sqlite3@6.0.1 ships; npm verifies the
# package's sha512 and we verify the inner tarball and sqlite3.c by sha256.
# A verified copy already in DEST makes this a no-op.
set -eu
DEST=${1:-build/deps/sqlite-3.52.0}
PKG=sqlite3@6.0.1
TGZ=sqlite-autoconf-3520000
TGZ_SHA=f6b50b0c103392af32a8be15b2b9d25959de9a00a70c3979128aafeaa5338b3f
C_SHA=a503acc9fe98f628eed36eb2aa2116a26f2541270d757f9b7cdbc2f19eb72b8f
H_SHA=37537d6131c1d2e507b34a6cee5590e27cedb7d82f543f257afbc72c0cbbcc22
EXT_SHA=ac9645e5c9ff0cf176efdd6e75cb5e98f46295d38e02db5c4d208826a39ab4be
verified() {
  [ -f "$DEST/sqlite3.c" ] && [ -f "$DEST/sqlite3.h" ] && [ -f "$DEST/sqlite3ext.h" ] &&
    printf '%s  %s\n%s  %s\n%s  %s\n' "$C_SHA" "$DEST/sqlite3.c" "$H_SHA" "$DEST/sqlite3.h" \
      "$EXT_SHA" "$DEST/sqlite3ext.h" | sha256sum -c --status
}
verified && exit 0
command -v npm >/dev/null 2>&1 || { echo "fetch-sqlite: npm is required (run scripts/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm pack --silent --prefer-offline --pack-destination "$tmp" "$PKG" >/dev/null
tar -xzf "$tmp/sqlite3-6.0.1.tgz" -C "$tmp" "package/deps/$TGZ.tar.gz"
echo "$TGZ_SHA  $tmp/package/deps/$TGZ.tar.gz" | sha256sum -c --status ||
  { echo "fetch-sqlite: sha256 mismatch on $TGZ.tar.gz" >&2; exit 1; }
tar -xzf "$tmp/package/deps/$TGZ.tar.gz" -C "$tmp"
mkdir -p "$DEST"
cp "$tmp/$TGZ/sqlite3.c" "$tmp/$TGZ/sqlite3.h" "$tmp/$TGZ/sqlite3ext.h" "$DEST/"
verified || { echo "fetch-sqlite: sha256 mismatch on the amalgamation" >&2; exit 1; }
echo "fetch-sqlite: SQLite 3.52.0 amalgamation verified in $DEST"
