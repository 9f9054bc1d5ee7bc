// fuzz-sources: server/cookie.c server/sha256.c
// fuzz-libs: -lmicrohttpd
/*
** fuzz_cookie.c: libFuzzer target for cookie parsing.
**
** Hindsight does not parse Cookie headers itself: req_cookie() asks
** libmicrohttpd for the parsed cookies and picks one by its exact name
** (cookie_get()), and auth_identify() takes the session cookie only if it
** is exactly 64 bytes, then hashes it. So this target
** runs the real library in-process, the way the server does: a daemon with
** no listening socket gets one end of a socketpair per input, reads
** "GET / HTTP/1.1", a Host, "Cookie: <the fuzzed bytes>" and
** "Connection: close", and calls the access handler below, which does what
** auth.c does with the result. Properties, checked with abort(): every
** cookie MHD reports has a name; names and values fit in the input;
** cookie_get() returns exactly the first value whose name is spelled
** "hs_session" (or "__Host-hs_session"), never one named in another case;
** a 64-byte session value hashes to 64 hex digits. The daemon must answer
** (or close) every input: a hang shows as a libFuzzer timeout.
**
** The system libmicrohttpd is not built with sanitizers, so a bad read
** inside it shows as a crash rather than an ASan report; our side of the
** boundary is fully checked. Single-threaded: the daemon runs in this
** thread (no internal polling thread).
*/
#include <fcntl.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cookie.h"
#include "sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

static size_t nInput;       /* bytes of the current input, the size cap */
static const char *azName[] = {"hs_session", "__Host-hs_session"};
static const char *azSeen[2]; /* first value of each name by iteration */

static enum MHD_Result each_cookie(void *pArg, enum MHD_ValueKind kind,
                                   const char *zKey, const char *zValue) {
  (void)pArg;
  (void)kind;
  if (!zKey || strlen(zKey) > nInput ||
      (zValue && strlen(zValue) > nInput)) {
    abort();
  }
  for (int i = 0; i < 2; i++) {
    if (strcmp(zKey, azName[i]) == 0 && !azSeen[i]) {
      azSeen[i] = zValue ? zValue : "";
    }
  }
  return MHD_YES;
}

static enum MHD_Result on_request(void *pCls, struct MHD_Connection *pConn,
                                  const char *zUrl, const char *zMethod,
                                  const char *zVersion, const char *zUpload,
                                  size_t *pnUpload, void **ppReq) {
  (void)pCls;
  (void)zUrl;
  (void)zMethod;
  (void)zVersion;
  (void)zUpload;
  (void)pnUpload;
  static int iMarker;
  if (*ppReq == NULL) {
    /* As http.c: answer on a later call, never the first. */
    *ppReq = &iMarker;
    return MHD_YES;
  }
  azSeen[0] = azSeen[1] = NULL;
  MHD_get_connection_values(pConn, MHD_COOKIE_KIND, each_cookie, NULL);
  for (int i = 0; i < 2; i++) {
    /* What req_cookie() and auth_identify() do. */
    const char *zCookie = cookie_get(pConn, azName[i]);
    if (zCookie != azSeen[i] &&
        (!zCookie || !azSeen[i] || strcmp(zCookie, azSeen[i]) != 0)) {
      abort();
    }
    if (zCookie && strlen(zCookie) == 64) {
      char zHash[65];
      sha256_hex(zCookie, 64, zHash);
      if (strlen(zHash) != 64 || strspn(zHash, "0123456789abcdef") != 64) {
        abort();
      }
    }
  }
  static char zOk[] = "ok";
  struct MHD_Response *pResp =
      MHD_create_response_from_buffer(2, zOk, MHD_RESPMEM_PERSISTENT);
  enum MHD_Result ret = MHD_queue_response(pConn, MHD_HTTP_OK, pResp);
  MHD_destroy_response(pResp);
  return ret;
}

static struct MHD_Daemon *daemon_get(void) {
  static struct MHD_Daemon *pD;
  if (!pD) {
    /* The limits http.c sets that matter for header parsing. */
    pD = MHD_start_daemon(
        MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!pD) {
      abort();
    }
  }
  return pD;
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  static const char zHead[] = "GET / HTTP/1.1\r\nHost: h\r\nCookie: ";
  static const char zTail[] = "\r\nConnection: close\r\n\r\n";
  if (nData > 60000) {
    return 0; /* past the connection's memory: MHD answers 431; not ours */
  }
  struct MHD_Daemon *pD = daemon_get();
  int aFd[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, aFd) != 0) {
    abort();
  }
  size_t nReq = sizeof(zHead) - 1 + nData + sizeof(zTail) - 1;
  char *zReq = malloc(nReq);
  memcpy(zReq, zHead, sizeof(zHead) - 1);
  memcpy(zReq + sizeof(zHead) - 1, aData, nData);
  memcpy(zReq + sizeof(zHead) - 1 + nData, zTail, sizeof(zTail) - 1);
  nInput = nData;
  /* The whole request fits the socket buffer, then the write end is shut,
  ** so MHD sees the end of the input whatever the bytes were. */
  if (write(aFd[1], zReq, nReq) != (ssize_t)nReq) {
    abort();
  }
  free(zReq);
  shutdown(aFd[1], SHUT_WR);
  fcntl(aFd[1], F_SETFL, O_NONBLOCK);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (MHD_add_connection(pD, aFd[0], (const struct sockaddr *)&addr,
                         sizeof(addr)) != MHD_YES) {
    close(aFd[0]);
    close(aFd[1]);
    return 0;
  }
  char aBuf[4096];
  int bEof = 0;
  for (int i = 0; i < 10000 && !bEof; i++) {
    MHD_run(pD);
    ssize_t n = read(aFd[1], aBuf, sizeof(aBuf));
    bEof = n == 0;
  }
  if (!bEof) {
    abort(); /* MHD neither answered and closed nor gave up: a hang */
  }
  close(aFd[1]);
  MHD_run(pD);
  return 0;
}
