#!/bin/sh
# Two `run` processes share a spool. When one ends, killed or stopped, the other adopts
# what it left within [spool] rescan and finishes it, without a restart, each invoice
# deposited once.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[spool]
rescan = 1s
EOC
acc() { [ -f "$S/accepted/$1.xml.receipt" ]; }

# A takes a document and is killed while its deposit is in flight
"$CHORUSGW" -c "$T/c.ini" run >"$T/a.out" 2>"$T/a.log" &
a=$!
on_exit "kill -9 $a 2>/dev/null"
check "A: deposit in flight" deposit_in_flight "$S" k PEER-0001
"$CHORUSGW" -c "$T/c.ini" run >"$T/b.out" 2>"$T/b.log" &
b=$!
on_exit "kill -9 $b 2>/dev/null"
ready_b() { grep -q 'running on' "$T/b.log"; }
check "B running" wait_until 10 ready_b
kill -9 $a
wait $a 2>/dev/null
check "A killed: B adopts its document and finishes it" wait_until 30 acc k
contains "B counts what it adopted" "$T/b.log" "adopted 1 document(s) left by a process that ended"
is "PEER-0001 deposited once" "$(deposits_of PEER-0001)" 1
is "the receipt tells the story" "$(rkey "$S/accepted/k.xml.receipt" state)" accepted

# A again, stopped cleanly while its deposit is in flight: it records the answer and
# exits; B follows the deposit report to the end
"$CHORUSGW" -c "$T/c.ini" run >>"$T/a.out" 2>>"$T/a.log" &
a=$!
on_exit "kill -9 $a 2>/dev/null"
ready_a() { [ "$(grep -c 'running on' "$T/a.log")" -ge 2 ]; }
check "A restarted" wait_until 10 ready_a
# either process may claim it: the one that did is stopped
check "a deposit in flight" deposit_in_flight "$S" s PEER-0002
qid=$(rkey "$S/outbox/s.xml.receipt" queue_id)
if grep -q "$qid" "$T/a.log"; then owner=$a other=$b olog=$T/b.log; else
	owner=$b other=$a olog=$T/a.log
fi
kill -TERM $owner
wait $owner
is "the owner stops cleanly (exit 0)" "$?" 0
check "the other adopts and follows its report" wait_until 30 acc s
contains "the other says so" "$olog" "adopted 1 document(s) left by a process that ended"
is "PEER-0002 deposited once" "$(deposits_of PEER-0002)" 1
check "the other is still running" kill -0 $other
kill -TERM $other
wait $other
# the adopter removed the lock files of the processes it adopted from; the last one
# to stop leaves its own, unlocked, for the next start
is "one lock file left in proc/" "$(ls "$S/.chorusgw/proc" | wc -l | tr -d ' ')" 1
no_secrets "no secret in the logs" "$T/a.log" "$T/b.log"
done_testing
