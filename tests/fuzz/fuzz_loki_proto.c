// fuzz-sources: server/door_loki.c server/door_labels.c server/ingest.c server/ingest_syslog.c server/ingest_access.c server/ingest_jsonl.c server/ingest_journal.c server/ingest_alert.c server/ingest_csv.c server/ingest_zendesk.c server/ingest_logfmt.c server/ingest_haproxy.c server/ingest_aws.c server/tz.c server/utc.c server/buf.c server/arena.c server/input.c server/sha256.c
// fuzz-libs: -ljansson -lsnappy -lm
/*
** fuzz_loki_proto.c: libFuzzer target for the Loki push protobuf (decompressed) decoder
** (door_loki.c), run by tests/fuzz/run.sh; the properties are those of
** fuzz_door.h. Single-threaded.
*/
#include "door_loki.h"
#include "fuzz_door.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

static int decode(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                  char *zErr, size_t nErr) {
  return loki_decode_proto(p, n, xEmit, pArg, zErr, nErr);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  fuzz_door_run(decode, aData, nData);
  return 0;
}
