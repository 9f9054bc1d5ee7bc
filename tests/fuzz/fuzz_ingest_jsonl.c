// fuzz-sources: server/ingest.c server/ingest_syslog.c server/ingest_access.c server/ingest_jsonl.c server/ingest_journal.c server/ingest_alert.c server/ingest_csv.c server/ingest_zendesk.c server/ingest_logfmt.c server/ingest_haproxy.c server/ingest_aws.c server/tz.c server/utc.c server/buf.c server/arena.c server/input.c server/sha256.c
// fuzz-libs: -ljansson -lm
/*
** fuzz_ingest_jsonl.c: libFuzzer target for the jsonl and journal parsers; the low bit of the first byte picks one (run by
** tests/fuzz/run.sh). The first two bytes choose the chunk sizes; the
** properties checked are those of fuzz_ingest.h. Single-threaded.
*/
#include "fuzz_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  fuzz_ingest_run(nData && (aData[0] & 1) ? "journal" : "jsonl", aData,
                  nData);
  return 0;
}
