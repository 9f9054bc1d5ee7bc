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

/* Bytes of a stem token at most: its lead byte and one per letter. */
#define SEARCH_STEM_MAX 64

/* The stem token of token z (n bytes, folded): a light English suffix
** stripper ("balancers" -> "balancer", "rolled"/"rolling" -> "roll",
** "policies" -> "policy", "cache"/"caching" -> "cach"), spelled as 0xF9
** and one byte 0x80 | (letter & 0x3F) per letter, so no typed word equals
** it and FTS5's prefix indexes see one character. Writes it to zOut
** (SEARCH_STEM_MAX bytes) and returns its length; 0 for a token that is
** not 3 to 60 letters a-z. Every such token has a stem (maybe its own
** letters); the index holds it colocated only where it differs from the
** token (search_stem_indexed), so a search asks for both. */
int search_stem(const char *z, int n, char zOut[SEARCH_STEM_MAX]);

/* The same when the index holds it: 0 when the token is its own stem. */
int search_stem_indexed(const char *z, int n, char zOut[SEARCH_STEM_MAX]);

#endif
