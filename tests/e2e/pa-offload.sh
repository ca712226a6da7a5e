#!/bin/sh
# The pre-flight in worker processes ([transform] workers) on the PA route: the route
# the PA's Directory decides (a public buyer: Chorus Pro) is pre-flighted again for that
# route in a worker, never on the event loop, so another document goes on meanwhile; a
# document whose pre-flight for that route kills its worker is held after [gateway]
# crash_limit deaths like any other; what a worker sends back (BR-FR's verdicts, the
# buyer's SIREN and address the Directory is asked about) refuses and accepts as the
# pre-flight in the process does (`chorusgw validate --route pa`); a status of the PA's
# feed that crashes the daemon as it is applied is held at crash_limit like any other.
. "$top_srcdir/tests/lib.sh"
needs_test_hooks

start_emulator --integration-delay 0
start_pa_emulator
S=$T/spool
{
	pa_ini
	printf 'poll_interval = 200ms\nsearch_window = 1m\n'
	printf '[gateway]\nretry_min = 100ms\nretry_max = 200ms\n'
} | gw_conf "$T/c.ini" "$S"
logged() { grep -q "$1" "$T/log"; }

# ---- the route decided by the Directory, pre-flighted again in a worker ------------------
# pub.xml's buyer is public: pre-flighted first for the PA (the likeliest route with [pa]),
# then again for Chorus Pro, where the hook holds it until $T/gate exists
erp_invoice "$T/pub.xml" OFF-0001
pa_invoice "$T/b2b.xml" ubl OFF-0002 "$PA_SELLER" "$PA_BUYER"
CHORUSGW_PREFLIGHT_WAIT="pub.xml@chorus:$T/gate" "$CHORUSGW" -v -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
drop "$T/pub.xml" "$S/inbox"
asked_pub() { logged "code-insee:$PA_PUBLIC_BUYER"; }
check "public buyer: the Directory asked, its route decided" wait_until 20 asked_pub
# pub.xml's pre-flight for Chorus Pro now waits in a worker: the loop goes on
drop "$T/b2b.xml" "$S/inbox"
check "meanwhile a B2B invoice is pre-flighted, addressed and sent to the PA" \
	wait_until 30 doc_key_is b2b.xml pa_ack Ok
is "meanwhile the public buyer's invoice is still in its pre-flight" \
	"$(count "$S/outbox" 'pub.xml*')$(count "$S/accepted" 'pub.xml*')$(count "$S/rejected" 'pub.xml*')" 000
touch "$T/gate"
check "then the public buyer's invoice is accepted by Chorus Pro" wait_until 30 doc_in pub.xml accepted
r=$S/accepted/pub.xml.receipt
is "... route chorus" "$(rkey "$r" route)" chorus
contains "... why" "$r" "a public buyer (Directory): Chorus Pro"
is "... deposited once on Chorus Pro" "$(deposits_of OFF-0001)" 1
r=$(doc_receipt b2b.xml)
is "the B2B invoice: route pa" "$(rkey "$r" route)" pa
is "the B2B invoice: processing rule B2B" "$(rkey "$r" pa_processing_rule)" B2B
run_gw v-b2b -c "$T/c.ini" validate --route pa "$T/b2b.xml"
is "the B2B invoice: validate --route pa in the process says it can be sent too" "$rc" 0

# ---- BR-FR in a worker refuses as in the process -------------------------------------------
pa_invoice "$T/noaddr.xml" ubl OFF-0003 "$PA_SELLER" "$PA_BUYER"
sed -i "s|<cbc:EndpointID schemeID=\"0225\">$PA_BUYER</cbc:EndpointID>||" "$T/noaddr.xml"
drop "$T/noaddr.xml" "$S/inbox"
check "BR-FR: rejected/" wait_until 20 doc_in noaddr.xml rejected
r=$S/rejected/noaddr.xml.receipt
contains "BR-FR: route pa, decided by the Directory (a private buyer)" "$r" "route pa: a private buyer (Directory)"
run_gw v-noaddr -c "$T/c.ini" validate --route pa "$T/noaddr.xml"
rules_of() { grep -o '(rule [A-Z0-9-]*)' "$1" | sort -u | tr '\n' ' '; }
check "BR-FR: validate --route pa refuses it by BR-FR-12" grep -q "(rule BR-FR-12)" "$T/v-noaddr.out"
is "BR-FR: the receipt names the rules validate --route pa names" \
	"$(rules_of "$r")" "$(rules_of "$T/v-noaddr.out")"
kill -TERM $pid
wait $pid

# ---- a document whose pre-flight for the decided route kills its worker ----------------------
erp_invoice "$T/bomb.xml" OFF-0004
erp_invoice "$T/calm.xml" OFF-0005
CHORUSGW_PREFLIGHT_CRASH="bomb.xml@chorus" "$CHORUSGW" -v -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
drop "$T/bomb.xml" "$S/inbox"
held() { logged "bomb.xml: held: processes died 3 times working on it"; }
check "bomb: held after 3 deaths in its pre-flight for Chorus Pro" wait_until 30 held
check "bomb: the daemon is still running" kill -0 $pid
drop "$T/calm.xml" "$S/inbox"
check "bomb: the others go on" wait_until 30 doc_in calm.xml accepted
check "bomb: the count is on disk, in its record" \
	grep -qx "crashes = 3" "$(grep -l "^file = bomb.xml" "$S"/.chorusgw/active/*)"
is "OFF-0004 never deposited" "$(deposits_of OFF-0004)" 0
kill -TERM $pid
wait $pid

# ---- a status of the PA's feed that crashes the daemon as it is applied ----------------------
# the crash counts against the document whose status it is: at 3 it is held with
# action_required and a sentence, its statuses wait, the others go on; a release applies them
pa_invoice "$T/poison.xml" ubl OFF-0006 "$PA_SELLER" "$PA_BUYER"
pa_invoice "$T/after.xml" ubl OFF-0007 "$PA_SELLER" "$PA_BUYER"
drop "$T/poison.xml" "$S/inbox"
for n in 1 2 3; do
	CHORUSGW_STEP_CRASH=poison.xml:status timeout 60 "$CHORUSGW" -v -c "$T/c.ini" run \
		>"$T/out" 2>"$T/log.s$n"
	is "status poison, run $n: the daemon crashed applying its status (SIGABRT)" "$?" 134
done
contains "status poison: the crash is counted against its document" "$T/log.s3" \
	"poison.xml: process "
CHORUSGW_STEP_CRASH=poison.xml:status "$CHORUSGW" -v -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
held() { logged "poison.xml: held: processes died 3 times working on it"; }
check "status poison: held at 3" wait_until 30 held
drop "$T/after.xml" "$S/inbox"
check "status poison: the others go on" wait_until 30 doc_key_is after.xml pa_ack Ok
check "status poison: the daemon is still running" kill -0 $pid
run_gw q -c "$T/c.ini" queue --json
contains "status poison: queue shows it held" "$T/q.out" '"held":true'
contains "status poison: with action_required" "$T/q.out" '"action_required":true'
contains "status poison: and the sentence" "$T/q.out" "processes died 3 times working on this document"
check "status poison: the count is on disk, in its record" \
	grep -qx "crashes = 3" "$(grep -l "^file = poison.xml" "$S"/.chorusgw/active/*)"
kill -TERM $pid
wait $pid
qid=$(basename "$(grep -l "^file = poison.xml" "$S"/.chorusgw/active/*)")
run_gw rel -c "$T/c.ini" release "$qid"
is "status poison: released" "$rc" 0
"$CHORUSGW" -v -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
status_known() { [ -n "$(rkey "$(doc_receipt poison.xml)" status_code 2>/dev/null)" ]; }
check "status poison: released, without the crash, its statuses applied" wait_until 30 status_known
kill -TERM $pid
wait $pid
no_secrets "no secret in the logs" "$T"/log "$T"/*.out
done_testing
