/* test_auth: password hashing, constant-time compare, random tokens,
** users, API tokens stored as hashes. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "err.h"
#include "harness.h"
#include "sha256.h"

int main(void) {
  char *zHash = auth_hash_password("correct horse battery");
  CHECK("hash is produced", zHash != NULL);
  CHECK("hash is yescrypt", zHash && strncmp(zHash, "$y$", 3) == 0);
  CHECK("the right password verifies",
        auth_verify_password("correct horse battery", zHash));
  CHECK("a wrong password does not",
        !auth_verify_password("correct horse batterx", zHash));
  CHECK("an empty password does not", !auth_verify_password("", zHash));
  char *zHash2 = auth_hash_password("correct horse battery");
  CHECK("salts differ", zHash2 && strcmp(zHash, zHash2) != 0);
  CHECK("garbage hashes never verify", !auth_verify_password("x", "*0"));
  free(zHash);
  free(zHash2);

  CHECK("equal strings", auth_equal("abc", "abc"));
  CHECK("different strings", !auth_equal("abc", "abd"));
  CHECK("prefix is not equal", !auth_equal("abc", "abcd"));
  CHECK("NULL is never equal", !auth_equal(NULL, "a"));

  char zA[65], zB[65];
  auth_random_hex(zA, 32);
  auth_random_hex(zB, 32);
  CHECK_INT("random token is 256 bits of hex", strlen(zA), 64);
  CHECK("random tokens differ", strcmp(zA, zB) != 0);

  char zDir[] = "/tmp/hs-test-auth.XXXXXX";
  if (!mkdtemp(zDir)) {
    return 1;
  }
  char zPath[256];
  snprintf(zPath, sizeof(zPath), "%s/a.db", zDir);
  CHECK_INT("db setup", db_setup(zPath), 0);
  CHECK_INT("no users at first", auth_user_count(), 0);
  CHECK_INT("add a user",
            auth_user_add("ann", "editor", "a-long-password", "test"), 0);
  CHECK_INT("duplicate user",
            auth_user_add("ann", "viewer", "a-long-password", "test"),
            E_CONFLICT);
  CHECK_INT("short password refused",
            auth_user_add("bo", "viewer", "short", "test"), E_INVALID);
  CHECK_INT("bad role refused",
            auth_user_add("bo", "root", "a-long-pass", "test"), E_INVALID);
  CHECK_INT("bad name refused",
            auth_user_add("a b<", "viewer", "a-long-password", "test"),
            E_INVALID);
  CHECK_INT("one user", auth_user_count(), 1);
  CHECK_INT("passwd", auth_user_passwd("ann", "another-long-one", "test"), 0);
  CHECK_INT("passwd of a missing user",
            auth_user_passwd("zed", "another-long", "test"), E_NOTFOUND);

  char zToken[80];
  CHECK_INT("token add", auth_token_add("ci", "ingest", zToken, "test"), 0);
  CHECK("token has a recognisable prefix", strncmp(zToken, "hs_", 3) == 0);
  char zTokHash[65];
  sha256_hex(zToken, strlen(zToken), zTokHash);
  DbStmt *p = db_prepare("SELECT count(*) FROM api_tokens"
                               " WHERE token_hash = :h");
  db_bind_text(p, ":h", zTokHash);
  db_step(p);
  CHECK_INT("only the SHA-256 of the token is stored", db_col_int(p, 0), 1);
  db_reset(p);
  CHECK_INT("bad scope refused", auth_token_add("x", "root", zToken, "test"),
            E_INVALID);
  CHECK_INT("revoke", auth_token_revoke("ci", "test"), 0);
  CHECK_INT("revoke twice", auth_token_revoke("ci", "test"), E_NOTFOUND);
  CHECK_INT("del", auth_user_del("ann", "test"), 0);
  CHECK_INT("del missing", auth_user_del("ann", "test"), E_NOTFOUND);
  db_close_thread();
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  CHECK_INT("cleanup", system(zCmd), 0);
  return harness_exit();
}
