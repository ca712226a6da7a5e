#!/bin/sh
# The spool from the command line: check-config --init and the spool checks, queue
# [--json] [--all], hold / release / retry [--force] with ids or "-", with no live
# owner (applied at once) and with one (queued for it, applied by it).
. "$top_srcdir/tests/lib.sh"

S=$T/spool
write_private "$T/c.ini" <<EOC
[spool]
dir = $S
json_receipts = yes
max_size = 2K
[chorus]
client_id = app
client_secret = zz-client-secret-zz
tech_login = TECH_1_x@cpro.fr
tech_password = zz-tech-password-zz
EOC
gw() { run_gw "$@"; }

gw init -c "$T/c.ini" check-config --init
is "check-config --init: exit 0" "$rc" 0
contains "check-config --init: says so" "$T/init.err" "spool $S is ready"
is "inbox mode" "$(stat -c %a "$S/inbox")" 770
is "accepted mode" "$(stat -c %a "$S/accepted")" 750
is "private area mode" "$(stat -c %a "$S/.chorusgw")" 700
gw check -c "$T/c.ini" check-config
is "check-config with the spool: exit 0" "$rc" 0

chmod 755 "$S/.chorusgw"
gw badmode -c "$T/c.ini" check-config
is "private area readable by others: exit 3" "$rc" 3
contains "... with the fix" "$T/badmode.err" "chmod 700 $S/.chorusgw"
chmod 700 "$S/.chorusgw"
rmdir "$S/rejected"
gw missing -c "$T/c.ini" queue
is "missing folder: exit 3" "$rc" 3
contains "... says to run --init" "$T/missing.err" "rejected is missing; create the spool with \`chorusgw check-config --init\`"
gw reinit -c "$T/c.ini" check-config --init
is "--init again repairs it" "$rc" 0
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$S/outbox"
	gw owner -c "$T/c.ini" check-config
	is "wrong owner: exit 3" "$rc" 3
	contains "... names the owner" "$T/owner.err" "owned by uid 65534"
	chown 0 "$S/outbox"
else
	ok "# SKIP wrong owner: needs root"
	ok "# SKIP wrong owner: needs root"
fi
if mount -t tmpfs -o size=1m tmpfs "$S/accepted" 2>/dev/null; then
	on_exit "umount '$S/accepted' 2>/dev/null"
	chmod 750 "$S/accepted"
	gw fs -c "$T/c.ini" check-config
	is "folder on another filesystem: exit 3" "$rc" 3
	contains "... says why" "$T/fs.err" "on another filesystem"
	umount "$S/accepted"
else
	ok "# SKIP another filesystem: mount not permitted here"
	ok "# SKIP another filesystem: mount not permitted here"
fi

gw empty -c "$T/c.ini" queue
contains "empty queue" "$T/empty.out" "No documents in progress."

for i in 1 2 3; do printf '<invoice n="%d"/>' $i >"$S/inbox/I$i.xml"; done
head -c 5000 /dev/zero >"$S/inbox/big.xml"
"$SPOOLDRV" "$S" run --stage queued --json --max-size 2048 >"$T/drv.out" 2>&1
is "three documents queued, one refused" "$(grep -c '^claimed ' "$T/drv.out")" 3
qid() { sed -n "s/^$1 \([0-9A-Z]*\) $2\$/\1/p" "$T/drv.out"; }
Q1=$(qid claimed I1.xml)
Q2=$(qid claimed I2.xml)
Q3=$(qid claimed I3.xml)
QB=$(qid refused big.xml)

gw q -c "$T/c.ini" queue
is "queue: exit 0" "$rc" 0
contains "queue lists I1" "$T/q.out" "$Q1"
contains "queue shows the state" "$T/q.out" "queued"
contains "queue counts by state" "$T/q.out" "-- 3 documents: 3 queued"
lacks "queue leaves out the final ones" "$T/q.out" "$QB"
gw qj -c "$T/c.ini" queue --json
is "queue --json: 3 lines" "$(wc -l <"$T/qj.out" | tr -d ' ')" 3
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$T/qj.out"
	is "queue --json: one JSON object per line" "$?" 0
else ok "# SKIP python3 missing"; fi
gw qa -c "$T/c.ini" queue --all
contains "queue --all shows the rejected one" "$T/qa.out" "$QB"
contains "... with its last reason" "$T/qa.out" "max_size"

# no live owner: applied at once
gw hold1 -c "$T/c.ini" hold "$Q1"
is "hold, no owner: exit 0" "$rc" 0
contains "hold, no owner: done" "$T/hold1.out" "$Q1: hold done"
contains "receipt says held" "$S/outbox/I1.xml.receipt" "held = yes"
contains "JSON receipt too" "$S/outbox/I1.xml.receipt.json" '"held": true'
gw q2 -c "$T/c.ini" queue
contains "queue shows it held" "$T/q2.out" "held: no deposit attempt until \`chorusgw release $Q1\`"
gw hold1b -c "$T/c.ini" hold "$Q1"
is "hold twice: exit 1" "$rc" 1
contains "hold twice: says so" "$T/hold1b.err" "already held"
echo "$Q1" | "$CHORUSGW" -c "$T/c.ini" release - >"$T/rel.out" 2>&1
is "release from stdin: exit 0" "$?" 0
contains "receipt says not held" "$S/outbox/I1.xml.receipt" "held = no"
gw bogus -c "$T/c.ini" retry 2FW4J4M0L899ZFHMP9
is "unknown id: exit 1" "$rc" 1
contains "unknown id: says so" "$T/bogus.err" "no document has the queue id 2FW4J4M0L899ZFHMP9"

# a live owner: requests wait in ctl/ until it applies them
"$SPOOLDRV" "$S" serve "$T/ready" >"$T/serve.out" 2>&1 &
owner=$!
on_exit "kill $owner 2>/dev/null"
wait_for() { # FILE TEXT : bounded wait for TEXT in FILE
	_i=0
	while [ $_i -lt 200 ] && ! grep -qF -- "$2" "$1" 2>/dev/null; do
		sleep 0.05
		_i=$((_i + 1))
	done
	grep -qF -- "$2" "$1" 2>/dev/null
}
check "the owner started" wait_for "$T/ready" ready
gw hold2 -c "$T/c.ini" hold "$Q2"
contains "hold, live owner: queued for it" "$T/hold2.out" "$Q2: hold requested; the process that owns it applies it"
check "the owner applied the hold" wait_for "$S/outbox/I2.xml.receipt" "held = yes"
gw rel2 -c "$T/c.ini" release "$Q2"
check "the owner applied the release" wait_for "$S/outbox/I2.xml.receipt" "held = no"
printf '%s\n\n%s\n' "$Q3" "$Q1" | "$CHORUSGW" -c "$T/c.ini" retry - >"$T/retry.out" 2>&1
is "retry of two ids from stdin: exit 0" "$?" 0
check "the owner applied the retry" wait_for "$S/outbox/I3.xml.receipt" "retry by the operator"
check "both" wait_for "$S/outbox/I1.xml.receipt" "retry by the operator"
is "no request left behind" "$(ls -A "$S/.chorusgw/ctl" | wc -l | tr -d ' ')" 0
kill $owner
wait $owner

# retry --force of a rejected document: back to the work area, to be checked again
gw force -c "$T/c.ini" retry --force "$QB"
is "retry --force of a rejected document: exit 0" "$rc" 0
check "its files left rejected/" test ! -e "$S/rejected/big.xml" -a ! -e "$S/rejected/big.xml.receipt"
gw q3 -c "$T/c.ini" queue --json
contains "it is received again, with force" "$T/q3.out" "\"queue_id\":\"$QB\",\"state\":\"received\""
done_testing
