#!/bin/sh
# embed.sh FILE...: writes an assembler file that compiles FILE... into the
# binary as the table hs_assets[] (see server/assets.h). Plain sh and the
# assembler's .incbin: no generator beyond cc, make and sh.
set -eu
echo '  .section .rodata'
i=0
for f in "$@"; do
  printf '  .balign 16\nhs_asset_data_%d:\n  .incbin "%s"\nhs_asset_end_%d:\n  .byte 0\n' "$i" "$f" "$i"
  printf 'hs_asset_name_%d:\n  .asciz "%s"\n' "$i" "$f"
  i=$((i + 1))
done
echo '  .section .data.rel.ro,"aw"'
echo '  .balign 8'
echo '  .globl hs_assets'
echo 'hs_assets:'
i=0
for f in "$@"; do
  printf '  .quad hs_asset_name_%d, hs_asset_data_%d, hs_asset_end_%d - hs_asset_data_%d\n' "$i" "$i" "$i" "$i"
  i=$((i + 1))
done
echo '  .quad 0, 0, 0'
echo '  .section .note.GNU-stack,"",@progbits'
