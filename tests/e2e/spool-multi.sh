#!/bin/sh
# Four processes on one spool, 3000 files dropped at once: every file is claimed by
# exactly one process, none is lost, every document has its own queue id, XML and
# receipt.
. "$top_srcdir/tests/lib.sh"

N=3000
P=4
fast_dir
S=$FAST/spool
"$SPOOLDRV" "$S" init || exit 1
i=1
while [ $i -le $N ]; do
	printf '<invoice n="%d"/>\n' $i >"$S/inbox/f$i.xml"
	i=$((i + 1))
done
is "$N files dropped" "$(ls "$S/inbox" | wc -l | tr -d ' ')" $N

pids=""
p=1
while [ $p -le $P ]; do
	timeout 120 "$SPOOLDRV" "$S" run --stage queued >"$T/p$p.out" 2>"$T/p$p.err" &
	pids="$pids $!"
	p=$((p + 1))
done
failed=0
for pid in $pids; do
	wait "$pid" || failed=$((failed + 1))
done
is "all $P processes finished cleanly" $failed 0
cat "$T"/p*.err | head -5 | while read -r l; do diag "$l"; done

cat "$T"/p*.out | sed -n 's/^claimed //p' >"$T/claims"
# a process starting while another is mid-claim leaves that claim alone
is "$N claims in all" "$(wc -l <"$T/claims" | tr -d ' ')" $N
is "no file claimed twice" "$(cut -d' ' -f2 "$T/claims" | sort | uniq -d | wc -l | tr -d ' ')" 0
is "no queue id given twice" "$(cut -d' ' -f1 "$T/claims" | sort | uniq -d | wc -l | tr -d ' ')" 0
busy=0
p=1
while [ $p -le $P ]; do
	[ "$(grep -c '^claimed ' "$T/p$p.out")" -gt 0 ] && busy=$((busy + 1))
	p=$((p + 1))
done
diag "processes that claimed files: $busy of $P"
is "inbox empty" "$(ls -A "$S/inbox" | wc -l | tr -d ' ')" 0
is "$N originals in outbox" "$(ls "$S/outbox" | grep -c '^f[0-9]*\.xml$')" $N
is "$N Chorus XML files" "$(ls "$S/outbox" | grep -c '\.ubl\.xml$')" $N
is "$N receipts" "$(ls "$S/outbox" | grep -c '\.receipt$')" $N
is "$N records" "$(ls "$S/.chorusgw/active" | wc -l | tr -d ' ')" $N
is "nothing renamed for a clash" "$(ls "$S/outbox" | grep -c '^f[0-9]*\.[0-9A-Z]*\.xml$')" 0
bad=$(cd "$S/outbox" && ls | grep -E '^f[0-9]+\.xml$' | xargs awk '
	FNR == 1 { n = FILENAME; gsub(/[^0-9]/, "", n); if ($0 != "<invoice n=\"" n "\"/>") bad++ }
	END { print bad + 0 }')
is "every original intact" "$bad" 0
is "work area empty" "$(ls -A "$S/.chorusgw/work" | wc -l | tr -d ' ')" 0
done_testing
