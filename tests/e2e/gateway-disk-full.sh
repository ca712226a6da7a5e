#!/bin/sh
# The disk fills up while a document waits for its deposit: the intent cannot be
# recorded, so nothing is sent; the gateway retries calmly (not in a loop), `once` stops
# at once_wait with the document still queued, and it is deposited once when space
# returns.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[gateway]
once_wait = 3s
EOC

# a document left queued in outbox/: its first deposit met a set-up error
emu POST /_emulator/faults "{\"bad_account\": {\"login\": \"$GW_LOGIN\"}}" >/dev/null
erp_invoice "$T/full.xml" FULL-0001
drop "$T/full.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log"
is "set-up error: once exits 5" "$?" 5
r=$S/outbox/full.xml.receipt
is "queued in outbox/" "$(rkey "$r" state)" queued
qid=$(rkey "$r" queue_id)
emu POST /_emulator/reset >/dev/null

# its record can be written once (adoption by the next run), then the disk is full
CHORUSGW_FAIL_WRITE=".chorusgw/active/$qid" CHORUSGW_FAIL_WRITE_AFTER=1 \
	timeout -k 5 30 "$CHORUSGW" -c "$T/c.ini" once >"$T/out2" 2>"$T/log2"
is "disk full: once stops at once_wait, exits 6 (pending)" "$?" 6
contains "disk full: the log says why" "$T/log2" "No space left on device"
n=$(grep -c 'spool write failed' "$T/log2")
if [ "$n" -ge 1 ] && [ "$n" -le 40 ]; then ok "disk full: retried calmly ($n write failures in 3 s)"; else
	not_ok "disk full: retried calmly ($n write failures in 3 s)"
fi
is "disk full: still queued" "$(rkey "$r" state)" queued
is "disk full: nothing deposited" "$(deposits_of FULL-0001)" 0

"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "space back: once exits 0" "$?" 0
is "space back: accepted" "$(count "$S/accepted" 'full.xml.receipt')" 1
is "space back: deposited once" "$(deposits_of FULL-0001)" 1
done_testing
