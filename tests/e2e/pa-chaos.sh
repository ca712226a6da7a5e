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

chaos_kills "$S" "$T/c.ini" "$N" 40 7
pa_emu POST /_emulator/reset >/dev/null # faults off
chaos_last_run "$S" "$T/c.ini" "$N"

is "inbox empty" "$(count "$S/inbox" '*')" 0
is "outbox empty" "$(count "$S/outbox" '*')" 0
is "accepted: every good invoice" "$(count "$S/accepted" '*.receipt')" $((N - nrej))
is "rejected: every invoice without a buyer address" "$(count "$S/rejected" '*.receipt')" "$nrej"

# exactly one final receipt per invoice, its state its folder's
final_receipts "$S" >"$T/receipts"
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
taken, dups = collections.Counter(), 0
tracking = collections.defaultdict(set)
for f in flows:
    inv = f.get("invoice")
    tracking[inv].add(f.get("trackingId"))
    if "AlreadyExistingFlow" in (f.get("reasonCodes") or []):
        dups += 1
    else:
        taken[inv] += 1  # a flow in Error (a 213) was taken too
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
