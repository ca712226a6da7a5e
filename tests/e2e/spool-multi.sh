#!/bin/sh
# Four processes on one spool, 3000 files dropped at once: every file is claimed by
# exactly one process, none is lost, every document has its own queue id, XML and
# receipt. Again with rename_noreplace() forced to link() + unlink() (no
# RENAME_NOREPLACE).
. "$top_srcdir/tests/lib.sh"
needs_test_hooks

P=4
fast_dir

# multi N LABEL : N files dropped at once, P processes claim them
multi() {
	N=$1
	L=$2
	S=$FAST/spool$N
	spool_with_files "$S" "$N" f
	is "${L}$N files dropped" "$(ls "$S/inbox" | wc -l | tr -d ' ')" $N

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
	is "${L}all $P processes finished cleanly" $failed 0
	cat "$T"/p*.err | head -5 | while read -r l; do diag "$l"; done

	cat "$T"/p*.out | sed -n 's/^claimed //p' >"$T/claims"
	# a process starting while another is mid-claim leaves that claim alone
	is "${L}$N claims in all" "$(wc -l <"$T/claims" | tr -d ' ')" $N
	is "${L}no file claimed twice" "$(cut -d' ' -f2 "$T/claims" | sort | uniq -d | wc -l | tr -d ' ')" 0
	is "${L}no queue id given twice" "$(cut -d' ' -f1 "$T/claims" | sort | uniq -d | wc -l | tr -d ' ')" 0
	busy=0
	p=1
	while [ $p -le $P ]; do
		[ "$(grep -c '^claimed ' "$T/p$p.out")" -gt 0 ] && busy=$((busy + 1))
		p=$((p + 1))
	done
	diag "processes that claimed files: $busy of $P"
	is "${L}inbox empty" "$(ls -A "$S/inbox" | wc -l | tr -d ' ')" 0
	is "${L}$N originals in outbox" "$(ls "$S/outbox" | grep -c '^f[0-9]*\.xml$')" $N
	is "${L}$N Chorus XML files" "$(ls "$S/outbox" | grep -c '\.ubl\.xml$')" $N
	is "${L}$N receipts" "$(ls "$S/outbox" | grep -c '\.receipt$')" $N
	is "${L}$N records" "$(ls "$S/.chorusgw/active" | wc -l | tr -d ' ')" $N
	is "${L}nothing renamed for a clash" "$(ls "$S/outbox" | grep -c '^f[0-9]*\.[0-9A-Z]*\.xml$')" 0
	bad=$(cd "$S/outbox" && ls | grep -E '^f[0-9]+\.xml$' | xargs awk '
		FNR == 1 { n = FILENAME; gsub(/[^0-9]/, "", n); if ($0 != "<invoice n=\"" n "\"/>") bad++ }
		END { print bad + 0 }')
	is "${L}every original intact" "$bad" 0
	is "${L}work area empty" "$(ls -A "$S/.chorusgw/work" | wc -l | tr -d ' ')" 0
}

multi 3000 ""
# a filesystem without RENAME_NOREPLACE (NFS): claims never show other processes a
# second name (a hard link they would refuse)
export CHORUSGW_NO_RENAME_NOREPLACE=1
multi 1000 "link+unlink: "
unset CHORUSGW_NO_RENAME_NOREPLACE
done_testing
