# scripts/common.sh: helpers shared by scripts/demo.sh and scripts/test-all.sh.
#
# Sourced, not executed.  Everything here works on a fresh Debian machine
# that has only git and PostgreSQL installed, run either as root (as CI
# does) or as a normal user who can use sudo.
#
# Variables a caller may set in the environment:
#   PG_CONFIG    pg_config of the server to build against (default: the one
#                of PostgreSQL $DQ_PG_MAJOR, else the first pg_config on PATH)
#   DQ_PG_MAJOR  PostgreSQL major version whose Debian packages are
#                installed when something is missing (default 15)

# Strict mode is the caller's choice; this file only defines things.

DQ_PG_MAJOR=${DQ_PG_MAJOR:-15}

# initdb, pg_ctl and pg_regress refuse to run as root, so root hands the
# servers to this system user (created on first use).
DQ_SYSTEM_USER=dq_lineage

# The checkout: this file lives in <checkout>/scripts.
DQ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# The scripts run their own make commands.  When started from "make demo"
# or "make test-all" they inherit the outer make's MAKEFLAGS (and with -j a
# jobserver whose descriptors do not survive the switch to another user),
# which would only produce warnings.  Variables given on make's command
# line (such as PG_CONFIG=...) are still in the environment.
unset MAKEFLAGS MFLAGS MAKELEVEL

dq_say() {
  printf '==> %s\n' "$*"
}

dq_warn() {
  printf 'warning: %s\n' "$*" >&2
}

dq_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

dq_is_root() {
  [ "$(id -u)" -eq 0 ]
}

# Run a command as root: directly when we are root, else through sudo.
dq_as_root() {
  if dq_is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    dq_die "'$*' needs root: run as root or install sudo"
  fi
}

# Set PG_CONFIG to the pg_config to use, if there is one.  An explicit
# PG_CONFIG wins; then the versioned one (Debian's /usr/bin/pg_config picks
# the newest installed server-dev, which may be another major version).
dq_find_pg_config() {
  if [ -n "${PG_CONFIG:-}" ]; then
    PG_CONFIG=$(command -v "$PG_CONFIG" || true)
  elif [ -x "/usr/lib/postgresql/$DQ_PG_MAJOR/bin/pg_config" ]; then
    PG_CONFIG=/usr/lib/postgresql/$DQ_PG_MAJOR/bin/pg_config
  else
    PG_CONFIG=$(command -v pg_config || true)
  fi
  export PG_CONFIG
  [ -n "$PG_CONFIG" ]
}

# Install what is missing, and nothing when everything is there (no
# apt-get at all then, so repeated runs are quick and need no network).
#   dq_install_prereqs build    what building and the demo need
#   dq_install_prereqs tests    also what the test suites need
dq_install_prereqs() {
  local want_tests=$1 pkgs=() bindir incdir

  if dq_find_pg_config; then
    bindir=$("$PG_CONFIG" --bindir)
    incdir=$("$PG_CONFIG" --includedir-server)
    # initdb, postgres and pg_ctl: the server package.
    [ -x "$bindir/postgres" ] && [ -x "$bindir/initdb" ] ||
      pkgs+=("postgresql-$DQ_PG_MAJOR")
    # Server headers: the only part of PGXS not in the client package.
    [ -f "$incdir/postgres.h" ] || pkgs+=("postgresql-server-dev-$DQ_PG_MAJOR")
  else
    pkgs+=("postgresql-$DQ_PG_MAJOR" "postgresql-server-dev-$DQ_PG_MAJOR")
  fi

  # A C toolchain.  Only what PGXS uses rather than build-essential (which
  # adds g++ and dpkg-dev): gcc does not pull in the libc headers when
  # recommends are off.
  command -v gcc >/dev/null 2>&1 || pkgs+=(gcc)
  command -v make >/dev/null 2>&1 || pkgs+=(make)
  [ -f /usr/include/stdio.h ] || pkgs+=(libc6-dev)
  # libcurl's headers: alert delivery sends HTTP requests with libcurl.
  command -v curl-config >/dev/null 2>&1 || pkgs+=(libcurl4-openssl-dev)

  if [ "$want_tests" = tests ]; then
    # prove and Test::More come with perl; PostgreSQL::Test::Cluster needs
    # IPC::Run.
    command -v prove >/dev/null 2>&1 || pkgs+=(perl)
    perl -MIPC::Run -e 1 >/dev/null 2>&1 || pkgs+=(libipc-run-perl)
    # Lineage tests: the random SQL fuzzer and the OpenLineage JSON schema
    # validator.
    command -v sqlsmith >/dev/null 2>&1 || pkgs+=(sqlsmith)
    /usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 ||
      pkgs+=(python3-jsonschema)
    # Scale-out tests: building Citus (test/vendor/citus) needs these.
    [ -f /usr/include/lz4.h ] || pkgs+=(liblz4-dev)
    [ -f /usr/include/zstd.h ] || pkgs+=(libzstd-dev)
    [ -f /usr/include/krb5.h ] || pkgs+=(libkrb5-dev)
    [ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] ||
      [ -f /usr/include/curl/curl.h ] || pkgs+=(libcurl4-openssl-dev)
    # The report test renders the HTML report in headless Chromium (and
    # takes a screenshot, for which it needs a font).
    command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
    [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || pkgs+=(fonts-dejavu-core)
  fi

  # Root switches to the system user with runuser (util-linux, always
  # present on Debian); only without it is sudo needed.
  if dq_is_root && ! command -v runuser >/dev/null 2>&1 &&
     ! command -v sudo >/dev/null 2>&1; then
    pkgs+=(sudo)
  fi

  if [ "${#pkgs[@]}" -eq 0 ]; then
    dq_say "prerequisites present, skipping apt-get"
    return 0
  fi

  dq_apt_install "${pkgs[@]}"

  # pg_config may have just arrived.
  dq_find_pg_config || dq_die "pg_config not found after installing ${pkgs[*]}"
}

# Install Debian packages (as root, or through sudo).
dq_apt_install() {
  command -v apt-get >/dev/null 2>&1 ||
    dq_die "missing: $* (no apt-get here: install them by hand)"
  if ! dq_is_root && ! command -v sudo >/dev/null 2>&1; then
    dq_die "missing: $*; installing needs root or sudo"
  fi

  dq_say "installing: $*"
  # The package lists of a fresh machine are empty or stale: update first.
  dq_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
    dq_die "apt-get update failed"
  dq_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" ||
    dq_die "apt-get install $* failed"
}

# Set DQ_RUN_USER: the user that owns and runs the PostgreSQL instances.
# As root that is the system user $DQ_SYSTEM_USER, created when missing;
# otherwise the calling user.  The argument, when not empty, names a
# directory whose owner should be used instead (an existing cluster keeps
# its owner).
dq_setup_run_user() {
  local owned_dir=$1 owner

  if [ -n "$owned_dir" ] && [ -e "$owned_dir" ]; then
    owner=$(stat -c %U "$owned_dir")
    if dq_is_root && [ "$owner" != root ]; then
      DQ_RUN_USER=$owner
      return 0
    fi
    if ! dq_is_root && [ "$owner" != "$(id -un)" ]; then
      dq_die "$owned_dir belongs to $owner: run this as root or as $owner"
    fi
  fi

  if ! dq_is_root; then
    DQ_RUN_USER=$(id -un)
    return 0
  fi

  DQ_RUN_USER=$DQ_SYSTEM_USER
  if ! id -u "$DQ_RUN_USER" >/dev/null 2>&1; then
    dq_say "creating system user $DQ_RUN_USER"
    useradd --system --user-group --create-home \
      --home-dir "/var/lib/$DQ_RUN_USER" --shell /bin/sh \
      --comment "dq_lineage demo and test instances" "$DQ_RUN_USER" ||
      dq_die "could not create user $DQ_RUN_USER"
  fi
}

# Run a command as $DQ_RUN_USER (directly when that is us).  The
# environment is kept, except that root's TMPDIR (perhaps not readable by
# the other user) is dropped and HOME is the other user's.
dq_as_run_user() {
  if ! dq_is_root; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u "$DQ_RUN_USER" -- env -u TMPDIR "$@"
  else
    # sudo resets the environment: pass on what the scripts rely on.
    sudo -H -u "$DQ_RUN_USER" -- env PATH="$PATH" PG_CONFIG="$PG_CONFIG" \
      LC_ALL="${LC_ALL:-}" LANG="${LANG:-}" "$@"
  fi
}

# Build in the checkout as the calling user.
dq_build() {
  dq_say "building: make"
  make -C "$DQ_ROOT" --no-print-directory PG_CONFIG="$PG_CONFIG"
}

# Install into the server's directories (root's).
dq_install() {
  dq_say "installing the extension: make install"
  dq_as_root make -C "$DQ_ROOT" --no-print-directory \
    PG_CONFIG="$PG_CONFIG" install
}

# True when the server knows output_plugin_libraries (Debian adds it in
# later 15.x releases; a server without it refuses to start when it is set).
dq_has_output_plugin_libraries() {
  grep -q output_plugin_libraries "$("$PG_CONFIG" --sharedir)/postgresql.conf.sample"
}

# The settings of the test instances, which the demo cluster shares:
# test/dq_test.conf plus output_plugin_libraries where supported (the same
# rule as the Makefile's build/dq_test.conf).
dq_test_settings() {
  cat "$DQ_ROOT/test/dq_test.conf"
  if dq_has_output_plugin_libraries; then
    echo "output_plugin_libraries = 'pgoutput, test_decoding, dq_lineage'"
  fi
}

# A UTF-8 locale that sorts the same everywhere (C.UTF-8 is built into
# Debian's libc), else plain C.
dq_stable_locale() {
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    echo C.UTF-8
  else
    echo C
  fi
}
