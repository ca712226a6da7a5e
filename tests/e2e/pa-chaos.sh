#!/bin/sh
# Exactly once through the PA: invoices dropped at once, the PA emulator's faults switched
# on (5xx, 429, resets, answers lost after the flow is recorded, slow answers past the
# timeout, expired tokens), and `chorusgw run` killed with SIGKILL at random moments and
# restarted until everything is done: every document ends in exactly one final folder,
# and the PA's record shows no invoice sent twice (the unknown outcomes of lost answers
# and kills settled by a search by trackingId before any resend).
. "$top_srcdir/tests/lib.sh"

N=${PA_CHAOS_DOCS:-300}
REJECT_EVERY=25 # every 25th invoice has no buyer address (BT-49): the PA rejects it, 213
fast_dir
S=$FAST/spool
start_emulator --integration-delay 0
start_pa_emulator --ack-delay 0.2 --lifecycle-step 0.3
{
	pa_ini
	cat <<EOC
timeout = 2s
poll_interval = 300ms
search_window = 1m
final_status = 200
[spool]
scan_batch = 100
[gateway]
retry_min = 100ms
retry_max = 1s
unknown_wait = 500ms
EOC
} | gw_conf "$T/c.ini" "$S"

mkdir -p "$FAST/stage"
i=1
while [ $i -le "$N" ]; do
	n=$(printf 'PAC-%05d' $i)
	pa_invoice "$FAST/stage/$n.xml" ubl "$n" "$PA_SELLER" "$PA_BUYER"
	[ $((i % REJECT_EVERY)) -ne 0 ] ||
		sed -i "s|<cbc:EndpointID schemeID=\"0225\">$PA_BUYER</cbc:EndpointID>||" "$FAST/stage/$n.xml"
	mv "$FAST/stage/$n.xml" "$S/inbox/$n.xml"
	i=$((i + 1))
done
is "$N documents dropped" "$(count "$S/inbox" '*.xml')" "$N"
nrej=$((N / REJECT_EVERY))

pa_emu POST /_emulator/faults '{"random": {"seed": 20261204, "route": "/flow-service/",
  "probabilities": {"status": 0.03, "rate_limit": 0.02, "reset": 0.02, "lose_response": 0.04,
                    "slow_ms": 0.01, "expire_tokens": 0.005},
  "status_codes": [500, 502, 503, 504], "slow_ms": 2500, "retry_after": 1}}' >/dev/null

finals() { echo $(($(count "$S/accepted" '*.receipt') + $(count "$S/rejected" '*.receipt'))); }

# kill -9 at random moments (a fixed sequence, so that a failure can be replayed),
# restart, until done or 40 rounds; a round in which nothing became final doubles the
# next windows (a loaded machine)
rounds=0
seed=7
grow=1
before=0
while [ "$before" -lt "$N" ] && [ $rounds -lt 40 ]; do
	"$CHORUSGW" -c "$T/c.ini" run >>"$T/out" 2>>"$T/log" &
	pid=$!
	seed=$(((seed * 1103515245 + 12345) % 2147483648))
	sleep "$(awk -v s="$seed" -v g="$grow" 'BEGIN { printf "%.2f", g * (0.3 + (s % 200) / 100) }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rounds=$((rounds + 1))
	after=$(finals)
	if [ "$after" -gt "$before" ]; then grow=1; elif [ $grow -lt 16 ]; then grow=$((grow * 2)); fi
	before=$after
done
diag "killed $rounds times; $(finals) of $N documents final then"
[ "$rounds" -ge 3 ] && ok "killed with SIGKILL at least 3 times" || not_ok "killed with SIGKILL at least 3 times ($rounds)"

# faults off, one last run to the end
pa_emu POST /_emulator/reset >/dev/null
"$CHORUSGW" -c "$T/c.ini" run >>"$T/out" 2>"$T/last.log" &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
all_final() { [ "$(finals)" -ge "$N" ]; }
check "every document reaches a final folder" wait_until 240 all_final
running() { grep -q 'running on' "$T/last.log"; }
wait_until 30 running
cat "$T/last.log" >>"$T/log"
kill -TERM "$pid"
wait "$pid"
is "the last run stops cleanly" "$?" 0

is "inbox empty" "$(count "$S/inbox" '*')" 0
is "outbox empty" "$(count "$S/outbox" '*')" 0
is "accepted: every good invoice" "$(count "$S/accepted" '*.receipt')" $((N - nrej))
is "rejected: every invoice without a buyer address" "$(count "$S/rejected" '*.receipt')" "$nrej"

# exactly one final receipt per invoice, its state its folder's
"$EMU_PYTHON" - "$S" <<'EOP' >"$T/receipts"
import collections, os, sys
spool = sys.argv[1]
seen = collections.Counter()
bad = 0
for folder in ("accepted", "rejected"):
    for name in os.listdir(os.path.join(spool, folder)):
        if not name.endswith(".receipt"):
            continue
        kv = dict(l.split(" = ", 1) for l in open(os.path.join(spool, folder, name), encoding="utf-8").read().splitlines() if " = " in l)
        if kv.get("state") != folder:
            bad += 1
        seen[kv.get("invoice_number")] += 1
print(len(seen), sum(1 for v in seen.values() if v > 1), bad)
EOP
read -r distinct twice badstate <"$T/receipts"
is "one receipt per invoice number" "$distinct" "$N"
is "no invoice with two final receipts" "$twice" 0
is "every receipt's state matches its folder" "$badstate" 0

# the PA's record: per invoice, at most one flow it took (any other one it refused as
# AlreadyExistingFlow), and every flow sent with the document's queue id
pa_emu GET /_emulator/received >"$T/received.json"
"$EMU_PYTHON" - "$T/received.json" <<'EOP' >"$T/flows"
import collections, json, sys
flows = json.load(open(sys.argv[1]))
taken, dups, other = collections.Counter(), 0, 0
tracking = collections.defaultdict(set)
for f in flows:
    inv = f.get("invoice")
    tracking[inv].add(f.get("trackingId"))
    if "AlreadyExistingFlow" in (f.get("reasonCodes") or []):
        dups += 1
    elif f.get("ack") == "Error" and inv:
        taken[inv] += 1  # a 213 has its flow too
    else:
        taken[inv] += 1
print(len(flows), sum(1 for v in taken.values() if v > 1), dups,
      sum(1 for v in tracking.values() if len(v) > 1),
      sum(1 for f in flows if f.get("answered") is False))
EOP
read -r nflows twice_taken refused_dups two_ids unanswered <"$T/flows"
diag "$nflows flows reached the PA, $unanswered of them unanswered (lost or cut by a kill), $refused_dups refused as AlreadyExistingFlow"
is "no invoice taken twice by the PA" "$twice_taken" 0
is "each invoice sent under one trackingId" "$two_ids" 0
# an unknown outcome is settled by a search before any resend: not even a second flow
is "no flow sent twice (none refused as AlreadyExistingFlow)" "$refused_dups" 0
NO_SECRETS_EXTRA="$PA_SECRET" no_secrets "no secret in the log" "$T/log"
done_testing
