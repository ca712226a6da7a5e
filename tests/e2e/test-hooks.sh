#!/bin/sh
# The test hooks (fileio.h: CHORUSGW_CRASH_AT, CHORUSGW_FAIL_WRITE[_AFTER],
# CHORUSGW_NO_RENAME_NOREPLACE, CHORUSGW_PREFLIGHT_CRASH/_WAIT, CHORUSGW_STEP_CRASH)
# exist only in a build configured --enable-test-hooks.
# A release build (tests/release/chorusgw beside the test build, or the build under
# test when it has no hooks) holds none of their names and, with all of them set,
# processes documents as if they were not: nothing killed, no write failed.
. "$top_srcdir/tests/lib.sh"

HOOK_VARS="CHORUSGW_CRASH_AT CHORUSGW_FAIL_WRITE CHORUSGW_FAIL_WRITE_AFTER CHORUSGW_NO_RENAME_NOREPLACE
CHORUSGW_PREFLIGHT_CRASH CHORUSGW_PREFLIGHT_WAIT CHORUSGW_STEP_CRASH"
if [ "${TEST_HOOKS:-yes}" = yes ]; then
	RELEASE=$RELEASE_CHORUSGW
else
	RELEASE=$CHORUSGW
fi

start_emulator --integration-delay 0.2 --lifecycle-step 600

# once_with BIN NAME NUMBER VAR=VALUE... : run `once` of BIN over one new invoice with the
# variables set; $rc is its exit status
once_with() {
	_bin=$1 _name=$2 _num=$3
	shift 3
	erp_invoice "$T/$_name.xml" "$_num"
	drop "$T/$_name.xml" "$S/inbox"
	env "$@" "$_bin" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
	rc=$?
}

S=$T/spool
gw_conf "$T/c.ini" "$S"

for v in $HOOK_VARS; do
	if grep -q "$v" "$RELEASE"; then
		not_ok "release build: no $v in the binary"
	else
		ok "release build: no $v in the binary"
	fi
done

# every hook armed at once, at points this run passes through
once_with "$RELEASE" rel1 REL-0001 CHORUSGW_CRASH_AT=claim-rename \
	CHORUSGW_FAIL_WRITE=.receipt CHORUSGW_FAIL_WRITE_AFTER=0 \
	CHORUSGW_NO_RENAME_NOREPLACE=1 CHORUSGW_PREFLIGHT_CRASH=rel1.xml \
	CHORUSGW_PREFLIGHT_WAIT="rel1.xml:$T/never" CHORUSGW_STEP_CRASH=rel1.xml:process
is "release build, every hook set: once exits 0" "$rc" 0
is "release build, every hook set: accepted" "$(count "$S/accepted" 'rel1.xml.receipt')" 1
once_with "$RELEASE" rel2 REL-0002 CHORUSGW_NO_RENAME_NOREPLACE=1 CHORUSGW_CRASH_AT=rename-link
is "release build, rename fallback and its crash point: once exits 0" "$rc" 0
is "release build, rename fallback: accepted" "$(count "$S/accepted" 'rel2.xml.receipt')" 1

if [ "${TEST_HOOKS:-yes}" = yes ]; then
	# the same variables do act on the test build: what the release is compared with
	once_with "$CHORUSGW" hk1 HOOK-0001 CHORUSGW_CRASH_AT=claim-rename
	is "test build: CHORUSGW_CRASH_AT kills the process" "$rc" 137
	"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
	once_with "$CHORUSGW" hk2 HOOK-0002 CHORUSGW_FAIL_WRITE=.receipt
	check "test build: CHORUSGW_FAIL_WRITE fails the run" [ "$rc" -ne 0 ]
	contains "test build: the write failed for want of space" "$T/log" "No space left on device"
	"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
	once_with "$CHORUSGW" hk3 HOOK-0003 CHORUSGW_NO_RENAME_NOREPLACE=1 CHORUSGW_CRASH_AT=rename-link
	is "test build: the rename fallback reaches its crash point" "$rc" 137
fi
no_secrets "no secret in the log" "$T/log"
done_testing
