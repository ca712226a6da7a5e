#!/bin/sh
# The emulator's own test program (TAP): every endpoint, rejection reason and fault.
exec /usr/bin/python3 "$top_srcdir/tests/emulator/test-emulator"
