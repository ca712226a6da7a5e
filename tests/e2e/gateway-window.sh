#!/bin/sh
# More documents waiting than the gateway holds in memory (its window of 1000): `once`
# holds a window, leaves the rest on disk, and exits with 6 when Chorus Pro does not
# take them within once_wait, with every document still queued in outbox/.
. "$top_srcdir/tests/lib.sh"

N=1100
fast_dir
S=$FAST/spool
start_emulator
gw_conf "$T/c.ini" "$S" <<EOC
[gateway]
once_wait = 3s
EOC

# N documents queued in outbox/ by a process that is gone (spooldrv, like a gateway
# killed after the pre-flight): orphans for the next process
"$EMU_PYTHON" - "$FAST/stage" "$S/inbox" "$N" <<'EOP'
import os, sys
stage, inbox, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(stage)
for i in range(1, n + 1):
    p = os.path.join(stage, "w-%05d.xml" % i)
    with open(p, "w") as f:
        f.write("<invoice>%d</invoice>\n" % i)
    os.rename(p, os.path.join(inbox, "w-%05d.xml" % i))
EOP
timeout 120 "$SPOOLDRV" "$S" run --stage queued --settle 0 >"$T/drv.out" 2>&1
is "$N documents queued by a process that is gone" "$(count "$S/outbox" 'w-*.xml.receipt')" "$N"

# Chorus Pro refuses every deposit before processing it: nothing can finish
emu POST /_emulator/faults '{"status": {"code": 503, "route": "/cpro/factures/v1/deposer/flux"}}' >/dev/null
timeout -k 5 60 "$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log"
is "once: adopts more than its window, stops at once_wait, exits 6 (pending)" "$?" 6
contains "once: the adoption is logged" "$T/log" "recovered $N document(s)"
is "nothing left the outbox" "$(count "$S/outbox" 'w-*.xml.receipt')" "$N"
deposits() {
	emu GET /_emulator/deposits | "$EMU_PYTHON" -c '
import json, sys
print(sum(1 for d in json.load(sys.stdin) if d.get("numeroFluxDepot")))'
}
is "nothing deposited" "$(deposits)" 0
done_testing
