#!/bin/sh
# bin2c.sh NAME FILE: prints a C file defining `const unsigned char NAME[]` and `NAME_len` with FILE's bytes.
set -eu
name=$1
file=$2
echo "/* Generated from $(basename "$file") by build-aux/bin2c.sh; do not edit. */"
echo "#include <stddef.h>"
echo "const unsigned char ${name}[] = {"
od -An -v -tx1 "$file" | sed -e 's/ *$//' -e 's/^ *//' -e 's/ /, 0x/g' -e 's/^/0x/' -e 's/$/,/' | grep -v '^0x,$'
echo "};"
echo "const size_t ${name}_len = sizeof ${name};"
