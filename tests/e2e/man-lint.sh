#!/bin/sh
# The man pages, as installed, are well-formed mdoc: mandoc finds no warning or error
# in them (its style remarks, such as long source lines, are allowed).
. "$top_srcdir/tests/lib.sh"

if ! command -v mandoc >/dev/null 2>&1; then
	echo "1..0 # SKIP mandoc is not installed (scripts/install-deps installs it)"
	exit 0
fi
for page in "$top_builddir/man/chorusgw.8" "$top_builddir/man/chorusgw.ini.5" \
	"$top_builddir/man/chorusgw-receipt.5" "$top_srcdir/man/chorusgw-erp.5" \
	"$top_srcdir/man/chorusgw-status.5" "$top_srcdir/man/chorusgw-incoming.5" \
	"$top_builddir/man/chorusgw-rules.7"; do
	mandoc -Tlint -Wwarning "$page" >"$T/lint" 2>&1
	rc=$?
	name=$(basename "$page")
	if [ "$rc" -eq 0 ] && [ ! -s "$T/lint" ]; then ok "$name: no mandoc warning"; else
		not_ok "$name: no mandoc warning"
		diag "$(cat "$T/lint")"
	fi
	# it renders, with every section we rely on
	mandoc -Tascii "$page" 2>/dev/null | sed 's/.\x08//g' >"$T/out"
	contains "$name: renders a NAME section" "$T/out" "NAME"
	contains "$name: renders a SEE ALSO section" "$T/out" "SEE ALSO"
done
done_testing
