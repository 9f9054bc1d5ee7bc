/*
** search_tokenizer.h: hs_pairs, the knowledge-base index's FTS5 tokenizer
** (unicode61 plus colocated word-pair tokens; see search_tokenizer.c).
*/
#ifndef HS_SEARCH_TOKENIZER_H
#define HS_SEARCH_TOKENIZER_H

#include <sqlite3.h>
#include <stdint.h>

/* Bytes of one pair token. */
#define SEARCH_PAIR_BYTES 12

/* The connection's FTS5 API, or NULL if FTS5 is missing. BORROWED until
** db closes. */
fts5_api *search_fts5_api(sqlite3 *db);

/* Registers hs_pairs on db (before anything reads search_index).
** SQLITE_OK or an SQLite error code. */
int search_tokenizer_register(sqlite3 *db);

/* Writes into aOut the pair token of token A followed by token B (tokens
** as the tokenizer emits them: folded). Query phrases use it. */
void search_pair_token(const char *zA, int nA, const char *zB, int nB,
                       char aOut[SEARCH_PAIR_BYTES]);

#endif
