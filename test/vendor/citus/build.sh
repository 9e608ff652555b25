#!/usr/bin/env bash
# test/vendor/citus/build.sh: build and install Citus 13.2.2 (a test
# dependency, see README.md) into the PostgreSQL of $PG_CONFIG.
#
#   PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config test/vendor/citus/build.sh
#
# Run as root (or as a user who may write PostgreSQL's directories).  Does
# nothing when citus.so and the same version's control file are installed.
# The build happens in build/citus of the checkout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
version=13.2.2
: "${PG_CONFIG:=pg_config}"

pkglibdir=$("$PG_CONFIG" --pkglibdir)
sharedir=$("$PG_CONFIG" --sharedir)
if [ -f "$pkglibdir/citus.so" ] &&
   grep -q "default_version = '13.2-" "$sharedir/extension/citus.control" 2>/dev/null &&
   [ "$(cat "$pkglibdir/citus.vendor-version" 2>/dev/null)" = "$version" ]; then
  echo "citus $version is installed in $pkglibdir"
  exit 0
fi

src=$root/build/citus
rm -rf "$src"
mkdir -p "$src"
tar xzf "$here/citus-$version.tar.gz" -C "$src"
(cd "$src" && patch -p1 -s < "$here/pg15.20-have_createdb_privilege.patch")

jobs=$(nproc 2>/dev/null || echo 2)
cd "$src"
echo "citus: configure"
./configure --without-libcurl PG_CONFIG="$PG_CONFIG" >"$src/configure.out" 2>&1 ||
  { tail -30 "$src/configure.out"; exit 1; }
echo "citus: make -j$jobs (a few minutes)"
make -j"$jobs" with_llvm=no >"$src/make.out" 2>&1 ||
  { tail -40 "$src/make.out"; exit 1; }
make install with_llvm=no >"$src/install.out" 2>&1 ||
  { tail -30 "$src/install.out"; exit 1; }
echo "$version" > "$pkglibdir/citus.vendor-version"
echo "citus $version installed in $pkglibdir"
