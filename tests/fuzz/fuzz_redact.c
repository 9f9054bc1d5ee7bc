// fuzz-sources: server/redact.c server/buf.c server/arena.c
// fuzz-libs:
/*
** fuzz_redact.c: libFuzzer target for redact.c (run by tests/fuzz/run.sh).
**
** The low bit of the first byte turns e-mail masking on. Properties: with
** nothing masked the output equals the input; redacting the output again
** changes nothing (a mask never leaves a secret or makes a new one); the
** output is never longer than the input plus three bytes per mask. A broken
** property calls abort(). Single-threaded.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  if (nData < 1) {
    return 0;
  }
  int bEmails = aData[0] & 1;
  const char *z = (const char *)aData + 1;
  size_t n = nData - 1;
  static const char *const azExtra[] = {"session", "pin", NULL};
  Buf once, twice;
  buf_init(&once, 0);
  buf_init(&twice, 0);
  int nMask = redact_text_keys(z, n, bEmails, azExtra, &once);
  if (nMask == 0 && (once.n != n || (n && memcmp(once.z, z, n) != 0))) {
    abort();
  }
  if (once.n > n + 3 * (size_t)nMask) {
    abort();
  }
  redact_text_keys(once.z ? once.z : "", once.n, bEmails, azExtra, &twice);
  if (twice.n != once.n || (once.n && memcmp(once.z, twice.z, once.n) != 0)) {
    abort();
  }
  buf_free(&once);
  buf_free(&twice);
  return 0;
}
