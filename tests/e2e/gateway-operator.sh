#!/bin/sh
# Operator requests to a running gateway: hold stops deposit attempts (and only them),
# release resumes them; a held document that was already deposited still follows its
# deposit report to accepted/, also after a restart.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S"
REPORT=/cpro/transverses/v1/consulterCRDetaille

start_gw() {
	"$CHORUSGW" -c "$T/c.ini" run >>"$T/out" 2>>"$T/log" &
	pid=$!
}
stop_gw() {
	kill -TERM $pid
	wait $pid
}
on_exit 'kill -9 $pid 2>/dev/null'
state_is() { [ "$(rkey "$S/$1" state 2>/dev/null)" = "$2" ]; }
held() { [ "$(rkey "$S/$1" held 2>/dev/null)" = yes ]; }

# hold_when NAME NUMBER STATE : drop an invoice, wait until it is in outbox/ in STATE,
# and hold it through the running gateway (its queue id in $qid)
hold_when() {
	erp_invoice "$T/$1.xml" "$2"
	drop "$T/$1.xml" "$S/inbox"
	check "$1: $3" wait_until 20 state_is "outbox/$1.xml.receipt" "$3"
	qid=$(rkey "$S/outbox/$1.xml.receipt" queue_id)
	"$CHORUSGW" -c "$T/c.ini" hold "$qid" >>"$T/out" 2>>"$T/log"
	check "$1: hold applied by the running gateway" wait_until 10 held "outbox/$1.xml.receipt"
}

# hold a queued document while deposits are paused; it is not deposited when they
# resume, and is once released
emu POST /_emulator/faults "{\"bad_account\": {\"login\": \"$GW_LOGIN\"}}" >/dev/null
start_gw
hold_when h1 HOLD-0001 queued
emu POST /_emulator/reset >/dev/null
resumed() { grep -q 'deposits resumed' "$T/log"; }
check "deposits resumed" wait_until 30 resumed
sleep 1
is "held: not deposited" "$(deposits_of HOLD-0001)" 0
"$CHORUSGW" -c "$T/c.ini" release "$qid" >>"$T/out" 2>>"$T/log"
check "released: accepted" wait_until 20 state_is accepted/h1.xml.receipt accepted
is "released: deposited once" "$(deposits_of HOLD-0001)" 1

# hold a deposited document whose report cannot be read yet, then restart
emu POST /_emulator/faults "{\"status\": {\"code\": 503, \"route\": \"$REPORT\"}}" >/dev/null
hold_when h2 HOLD-0002 deposited
stop_gw
emu POST /_emulator/reset >/dev/null
start_gw
check "after a restart, the held deposited document follows its report to accepted/" \
	wait_until 20 state_is accepted/h2.xml.receipt accepted
is "h2 deposited once" "$(deposits_of HOLD-0002)" 1
stop_gw
is "SIGTERM: exit 0" "$?" 0
no_secrets "no secret in the log" "$T/log"
done_testing
