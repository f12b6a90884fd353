#!/usr/bin/env bash
# Prints the OPENBLAS_CORETYPE for this CPU when it has AVX2. Debian 12's OpenBLAS 0.3.21 does not recognise newer
# Xeons and falls back to its generic "Prescott" kernels (seen here on a Sapphire Rapids VM: 2-4x slower sgemv/sgemm);
# the kernel is chosen when the library loads, so it has to come from the environment.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
case " $flags " in
  *" avx512f "*) echo SkylakeX ;;
  *" avx2 "*) echo Haswell ;;
esac
