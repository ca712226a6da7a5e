#!/bin/sh
# The transform and pre-flight run in worker processes ([transform] workers), beside
# the event loop: a document whose pre-flight does not end holds up neither another
# document's deposit nor the watchdog; one over [transform] max_memory is refused
# before it is read; one that kills the worker pre-flighting it is held after
# [gateway] crash_limit deaths, counted on disk across restarts, with action_required
# and a sentence, while the others go on; the daemon killed during a pre-flight is not
# counted against the document.
. "$top_srcdir/tests/lib.sh"
needs_test_hooks

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[gateway]
retry_min = 100ms
retry_max = 200ms
EOC
acc() { [ -f "$S/accepted/$1.xml.receipt" ]; }
logged() { grep -q "$1" "$T/log"; }

notify_listen "$T/notify.sock" "$T/notify"

# ---- a pre-flight that lasts holds up nothing else -------------------------------------
erp_invoice "$T/big.xml" BIG-0001
erp_invoice "$T/small.xml" SMALL-0001
CHORUSGW_PREFLIGHT_WAIT="big.xml:$T/gate" NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=200000 \
	"$CHORUSGW" -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
ready() { grep -q '^READY=1$' "$T/notify" 2>/dev/null; }
check "READY=1" wait_until 10 ready
drop "$T/big.xml" "$S/inbox"
check "the big document is claimed" wait_until 10 logged "big.xml: claimed"
pings=$(grep -c '^WATCHDOG=1$' "$T/notify")
drop "$T/small.xml" "$S/inbox"
check "a small document is accepted while the big one is in its pre-flight" wait_until 30 acc small
is "SMALL-0001 deposited" "$(deposits_of SMALL-0001)" 1
more_pings() { [ "$(grep -c '^WATCHDOG=1$' "$T/notify")" -ge $((pings + 3)) ]; }
check "the watchdog is fed meanwhile" wait_until 10 more_pings
is "the big one is still in its pre-flight: not in outbox/ nor accepted/" \
	"$(count "$S/outbox" 'big.xml*')$(count "$S/accepted" 'big.xml*')" 00
is "BIG-0001 not deposited yet" "$(deposits_of BIG-0001)" 0
touch "$T/gate"
check "then the big one is accepted" wait_until 30 acc big
is "BIG-0001 deposited once" "$(deposits_of BIG-0001)" 1

# ---- a document that kills its worker, every time ------------------------------------------
kill -TERM $pid
wait $pid
erp_invoice "$T/poison.xml" POISON-0001
erp_invoice "$T/after.xml" AFTER-0001
CHORUSGW_PREFLIGHT_CRASH=poison.xml "$CHORUSGW" -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
drop "$T/poison.xml" "$S/inbox"
held() { logged "poison.xml: held: 3 processes died"; }
check "poison: held after 3 deaths" wait_until 30 held
is "poison: 3 pre-flights ended with their worker" \
	"$(grep -c 'poison.xml: the pre-flight did not finish: the worker process killed by signal' "$T/log")" 3
drop "$T/after.xml" "$S/inbox"
check "poison: the others go on" wait_until 30 acc after
check "poison: the daemon is still running" kill -0 $pid
run_gw q -c "$T/c.ini" queue --json
contains "poison: queue shows it held" "$T/q.out" '"held":true'
contains "poison: with action_required" "$T/q.out" '"action_required":true'
contains "poison: and the sentence" "$T/q.out" "3 processes died while transforming or checking this document"
is "POISON-0001 never deposited" "$(deposits_of POISON-0001)" 0
check "poison: the count is on disk, in its record" grep -qx "preflights = 3" "$S"/.chorusgw/active/*
kill -TERM $pid
wait $pid
qid=$(sed -n 's/.*"queue_id":"\([^"]*\)".*/\1/p' "$T/q.out" | head -1)
run_gw rel -c "$T/c.ini" release "$qid"
is "release: exit 0" "$rc" 0
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>"$T/log"
check "released, without the crash: accepted" acc poison

# ---- the daemon killed during a pre-flight: not the document's doing, not counted ------------
erp_invoice "$T/stuck.xml" STUCK-0001
drop "$T/stuck.xml" "$S/inbox"
for n in 1 2 3; do
	CHORUSGW_PREFLIGHT_WAIT="stuck.xml:$T/never" "$CHORUSGW" -c "$T/c.ini" run >"$T/out" 2>"$T/log.$n" &
	pid=$!
	# a worker is pre-flighting it (the WAIT hook holds it there)
	in_preflight() { [ -n "$(cat "/proc/$pid/task/$pid/children" 2>/dev/null)" ] && grep -q "stuck.xml" "$T/log.$n"; }
	check "daemon killed $n: the pre-flight is under way" wait_until 20 in_preflight
	kill -9 $pid
	wait $pid 2>/dev/null
done
"$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log.4"
is "after 3 kills of the daemon: the next run exits 0" "$?" 0
check "after 3 kills of the daemon: accepted, not held" acc stuck
lacks "after 3 kills of the daemon: nothing held" "$T/log.4" "held:"

# ---- a document over [transform] max_memory: refused before it is read ---------------------
"$EMU_PYTHON" "$top_srcdir/bench/gen-erp" --lines 3000 --count 1 --prefix HUGE "$T/gen" >/dev/null
mv "$T"/gen/HUGE-*.xml "$T/huge.xml"
sed 's/^\[transform\]$/[transform]\nmax_memory = 64M/' "$T/c.ini" | write_private "$T/small-mem.ini"
drop "$T/huge.xml" "$S/inbox"
# were it read and pre-flighted, the hook would crash its worker
CHORUSGW_PREFLIGHT_CRASH=huge.xml "$CHORUSGW" -c "$T/small-mem.ini" once >"$T/out" 2>"$T/log.mem"
is "over max_memory: once exits 4 (rejected)" "$?" 4
check "over max_memory: rejected" [ -f "$S/rejected/huge.xml.receipt" ]
contains "over max_memory: the reason gives the estimate and the limit" "$S/rejected/huge.xml.receipt" \
	"MB of memory to transform and check, over [transform] max_memory (64 MB)"
lacks "over max_memory: never pre-flighted" "$T/log.mem" "did not finish"
no_secrets "no secret in the logs" "$T"/log*
done_testing
