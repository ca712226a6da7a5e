#!/bin/sh
# 2 000 documents dropped at once, Chorus Pro faults switched on (5xx, 429, resets,
# lost answers, slow answers past the timeout, non-JSON bodies, expired tokens), and
# `chorusgw run` killed with SIGKILL at random moments and restarted until everything
# is done: every document ends in exactly one final folder with its receipt, and the
# emulator's record shows no invoice deposited twice.
. "$top_srcdir/tests/lib.sh"

N=${CHAOS_DOCS:-2000}
REJECT_EVERY=50 # every 50th invoice goes to a buyer Chorus Pro does not know
fast_dir
S=$FAST/spool
start_emulator --integration-delay 0.1 --lifecycle-step 3600
gw_conf "$T/c.ini" "$S" <<EOC
[spool]
scan_batch = 400
[chorus]
timeout = 2s
max_in_flight = 8
[gateway]
report_poll = 200ms
retry_min = 100ms
retry_max = 1s
unknown_wait = 500ms
EOC

# the documents, written beside inbox/ and renamed in, as a careful ERP does
"$EMU_PYTHON" - "$top_srcdir/xslt/examples/invoice-simple.xml" "$FAST/stage" "$S/inbox" \
	"$N" "$REJECT_EVERY" <<'EOP'
import os, sys
tpl = open(sys.argv[1], encoding="utf-8").read()
stage, inbox, n, every = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
os.makedirs(stage)
for i in range(1, n + 1):
    doc = tpl.replace("<number>F2025-000142</number>", "<number>CHAOS-%05d</number>" % i)
    if i % every == 0:
        doc = doc.replace("<siret>26330059200015</siret>", "<siret>21990999100016</siret>")
    p = os.path.join(stage, "chaos-%05d.xml" % i)
    with open(p, "w", encoding="utf-8") as f:
        f.write(doc)
    os.rename(p, os.path.join(inbox, "chaos-%05d.xml" % i))
EOP
is "$N documents dropped" "$(count "$S/inbox" '*.xml')" "$N"
nrej=$((N / REJECT_EVERY))

emu POST /_emulator/faults '{"random": {"seed": 20261128, "route": "/cpro/",
  "probabilities": {"status": 0.03, "rate_limit": 0.02, "reset": 0.02, "lose_response": 0.03,
                    "non_json": 0.01, "slow_ms": 0.01, "expire_tokens": 0.005},
  "status_codes": [500, 502, 503, 504], "slow_ms": 2500, "retry_after": 1}}' >/dev/null

chaos_kills "$S" "$T/c.ini" "$N" 60 1
emu POST /_emulator/reset >/dev/null # faults off
chaos_last_run "$S" "$T/c.ini" "$N"

is "inbox empty" "$(count "$S/inbox" '*')" 0
is "outbox empty" "$(count "$S/outbox" '*')" 0
is "work area empty" "$(ls -A "$S/.chorusgw/work" | wc -l | tr -d ' ')" 0
is "accepted: every good invoice" "$(count "$S/accepted" '*.receipt')" $((N - nrej))
is "rejected: every invoice to the unknown buyer" "$(count "$S/rejected" '*.receipt')" "$nrej"

# exactly one final receipt per document, in the folder its state names
final_receipts "$S" >"$T/receipts"
read -r distinct twice badstate <"$T/receipts"
is "one receipt per invoice number" "$distinct" "$N"
is "no invoice with two final receipts" "$twice" 0
is "every receipt's state matches its folder" "$badstate" 0

# the emulator's record: no invoice deposited twice
emu GET /_emulator/deposits >"$T/deposits.json"
"$EMU_PYTHON" - "$T/deposits.json" "$REJECT_EVERY" <<'EOP' >"$T/dups"
import collections, json, sys
deps = json.load(open(sys.argv[1]))
every = int(sys.argv[2])
made = collections.Counter()
integrated = collections.Counter()
for d in deps:
    if d.get("numeroFluxDepot"):
        made[d["numeroFacture"]] += 1
        if d.get("outcome") == "IN_INTEGRE":
            integrated[d["numeroFacture"]] += 1
good_twice = [k for k, v in made.items() if v > 1 and int(k.split("-")[1]) % every]
print(len(good_twice), sum(1 for v in integrated.values() if v > 1), sum(1 for d in deps if d.get("answered") is False))
EOP
read -r good_twice int_twice unanswered <"$T/dups"
is "no good invoice deposited twice" "$good_twice" 0
is "no invoice integrated twice" "$int_twice" 0
diag "deposits whose answer the faults withheld: $unanswered"
[ "$unanswered" -gt 0 ] && ok "some answers were lost, and settled" || not_ok "some answers were lost, and settled"
no_secrets "no secret in the logs" "$T/log" "$T/out"
done_testing
