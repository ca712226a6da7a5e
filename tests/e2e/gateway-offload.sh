#!/bin/sh
# The transform and pre-flight run in worker processes ([transform] workers), beside
# the event loop: a document whose pre-flight does not end holds up neither another
# document's deposit nor the watchdog; one over [transform] max_memory is refused
# before it is read; one that kills the worker pre-flighting it, or that crashes the
# daemon itself in one of its steps, is held after [gateway] crash_limit deaths,
# counted on disk across restarts, with action_required and a sentence, while the
# others go on (a crash of the daemon as it takes the pre-flight's outcome, or in the
# deposit step); the daemon killed (SIGKILL) during a pre-flight or in the document's
# own step is not counted against the document.
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
held() { logged "poison.xml: held: processes died 3 times working on it"; }
check "poison: held after 3 deaths" wait_until 30 held
is "poison: 3 pre-flights ended with their worker" \
	"$(grep -c 'poison.xml: the pre-flight did not finish: the worker process killed by signal' "$T/log")" 3
drop "$T/after.xml" "$S/inbox"
check "poison: the others go on" wait_until 30 acc after
check "poison: the daemon is still running" kill -0 $pid
run_gw q -c "$T/c.ini" queue --json
contains "poison: queue shows it held" "$T/q.out" '"held":true'
contains "poison: with action_required" "$T/q.out" '"action_required":true'
contains "poison: and the sentence" "$T/q.out" "processes died 3 times working on this document"
is "POISON-0001 never deposited" "$(deposits_of POISON-0001)" 0
check "poison: the count is on disk, in its record" grep -qx "crashes = 3" "$S"/.chorusgw/active/*
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

# ---- the daemon killed in the document's own step: not counted either ------------------------
# (the point where the abort() below is counted: a kill there is not a crash)
erp_invoice "$T/killed.xml" KILLED-0001
drop "$T/killed.xml" "$S/inbox"
staged() { find "$S/.chorusgw/work" -name '.staged.*' | wc -l; }
for n in 1 2 3; do
	CHORUSGW_CRASH_AT=gw-preflight-done "$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log.k$n"
	is "killed in its step $n: SIGKILL" "$?" 137
	# the worker wrote the document it made (durably), the daemon died before adopting it
	is "killed in its step $n: the document made is staged, not adopted" "$(staged)" 1
done
"$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log.k4"
is "killed 3 times in its step: the next run exits 0" "$?" 0
check "killed 3 times in its step: accepted, not held" acc killed
lacks "killed 3 times in its step: no crash counted" "$T/log.k4" "crashed while working on it"
check "killed 3 times in its step: its UBL in accepted/" test -s "$S/accepted/killed.ubl.xml"
is "killed 3 times in its step: no staged file left, no work folder" \
	"$(staged)$(find "$S/.chorusgw/work" -mindepth 1 | wc -l)" 00

# ---- a document that crashes the daemon itself, every time -----------------------------------
# the daemon abort()s as it takes this document's pre-flight outcome: each run dies, the
# next one adopts it and counts the crash its predecessor noted; at 3 it is held
erp_invoice "$T/bomb.xml" BOMB-0001
erp_invoice "$T/calm.xml" CALM-0001
drop "$T/bomb.xml" "$S/inbox"
drop "$T/calm.xml" "$S/inbox"
for n in 1 2 3; do
	CHORUSGW_STEP_CRASH=bomb.xml:checked "$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log.b$n"
	is "bomb, run $n: the daemon crashed (SIGABRT)" "$?" 134
done
check "bomb: the crash is counted when its document is adopted" \
	grep -q "bomb.xml: process .* crashed while working on it (2 time(s))" "$T/log.b3"
CHORUSGW_STEP_CRASH=bomb.xml:checked "$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log.b4"
is "bomb, run 4: held at 3, the daemon goes on (once exits 0)" "$?" 0
contains "bomb: held" "$T/log.b4" "bomb.xml: held: processes died 3 times working on it"
check "bomb: the others go on (calm accepted)" acc calm
is "BOMB-0001 never deposited" "$(deposits_of BOMB-0001)" 0
run_gw q -c "$T/c.ini" queue --json
contains "bomb: queue shows the sentence" "$T/q.out" "processes died 3 times working on this document"
bomb_record=$(grep -l "^file = bomb.xml" "$S"/.chorusgw/active/*)
check "bomb: the count is on disk, in its record" grep -qx "crashes = 3" "$bomb_record"
calm_record=$(grep -l "^file = calm.xml" "$S"/.chorusgw/final/*)
check "calm: no crash counted against it" grep -qx "crashes = 0" "$calm_record"
check "calm: never said to have crashed anything" \
	sh -c "! grep -q 'calm.xml: process .* crashed' $T/log.b*"

# ---- ... or in its deposit step, queued in outbox/ --------------------------------------------
# the pre-flight passed (the count starts again there): the crashes in a later step count
# too, and a release tries it again
erp_invoice "$T/late.xml" LATE-0001
drop "$T/late.xml" "$S/inbox"
for n in 1 2 3; do
	CHORUSGW_STEP_CRASH=late.xml:deposit "$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log.l$n"
	is "late, run $n: the daemon crashed in its deposit step (SIGABRT)" "$?" 134
done
CHORUSGW_STEP_CRASH=late.xml:deposit "$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log.l4"
is "late, run 4: held at 3 (once exits 0)" "$?" 0
contains "late: held" "$T/log.l4" "late.xml: held: processes died 3 times working on it"
is "late: held where it was, in outbox/" "$(count "$S/outbox" 'late.xml')" 1
is "LATE-0001 never deposited" "$(deposits_of LATE-0001)" 0
late_qid=$(sed -n 's/^queue_id = //p' "$(grep -l "^file = late.xml" "$S"/.chorusgw/active/*)")
run_gw rel -c "$T/c.ini" release "$late_qid"
is "late: release exits 0" "$rc" 0
"$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log.l5"
check "late: released, without the crash: accepted" acc late
is "LATE-0001 deposited once" "$(deposits_of LATE-0001)" 1

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
