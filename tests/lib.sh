# tests/lib.sh - shared helpers for the end-to-end tests (POSIX sh, sourced).
#
# Every test: `. "$top_srcdir/tests/lib.sh"`, uses $T (a private temporary folder,
# removed on exit), prints TAP through ok/check/is, and ends with `done_testing`.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${CHORUSGW:=$top_builddir/src/chorusgw}"
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/chorusgw-test.XXXXXX") || exit 99
tap_n=0
tap_failed=0
_cleanup_hooks=""

on_exit() { _cleanup_hooks="$1; $_cleanup_hooks"; }
_cleanup() {
	eval "$_cleanup_hooks"
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/#   /'; }

# check DESCRIPTION COMMAND... : ok when the command succeeds.
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		diag "got:  $2" "want: $3"
	fi
}

# contains DESCRIPTION FILE TEXT : the file holds the fixed string.
contains() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		not_ok "$1"
		diag "no \"$3\" in $2:"
		sed 's/^/#   | /' "$2" | head -20
	fi
}

# lacks DESCRIPTION FILE TEXT : the file does not hold the fixed string.
lacks() {
	if grep -qF -- "$3" "$2"; then
		not_ok "$1"
		diag "unexpected \"$3\" in $2:"
		grep -nF -- "$3" "$2" | head -5 | sed 's/^/#   | /'
	else ok "$1"; fi
}

# run_gw NAME ARGS... : run chorusgw, stdout in $T/NAME.out, stderr in $T/NAME.err,
# exit status in $rc.
run_gw() {
	_n=$1
	shift
	"$CHORUSGW" "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	rc=$?
}

# The plan comes last; the exit status stays 0 so that each failure is counted once
# (as its "not ok" line), while a test that dies early misses its plan and errors.
done_testing() {
	echo "1..$tap_n"
	exit 0
}

# make_conf FILE [extra INI text on stdin appended] : a config with private mode.
write_private() {
	umask 077
	cat >"$1"
	chmod 600 "$1"
}

# fast_dir : set $FAST to a private folder on tmpfs (/dev/shm) when there is one, else
# under $T; removed on exit. For tests that kill processes (not the machine) or make
# thousands of files: fsync costs nothing there.
fast_dir() {
	FAST=$(mktemp -d /dev/shm/chorusgw-test.XXXXXX 2>/dev/null) || {
		FAST=$T/fast
		mkdir -p "$FAST"
	}
	on_exit "rm -rf '$FAST'"
}
