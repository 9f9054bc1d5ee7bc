/*
** linger.h: a lingering close for connections answered before their body
** was read (a wrong token, a body over the limit).
**
** Closing a TCP socket that still has unread bytes in its receive buffer
** sends RST instead of FIN, and a client that is still sending then sees
** "connection reset" and may never read the 401 or 413 already waiting
** for it: a shipper logs a network error instead of "wrong token". So
** such sockets are not closed at once: libmicrohttpd has sent the answer
** and shut down its side; we keep a duplicate of the descriptor and read
** and drop what still arrives, until the client closes, a deadline or a
** byte cap passes, as web servers' lingering close does.
**
** Bounded: LINGER_MAX sockets at once (past that a socket is closed at
** once, as before), each for LINGER_MS and LINGER_MAX_BYTES at most.
**
** Threading: linger_adopt() is called from MHD's pool threads; the sockets
** are read and closed by one worker thread (worker.c). The list is guarded
** by a mutex.
*/
#ifndef HS_LINGER_H
#define HS_LINGER_H

/* Starts the worker. 0, or E_IO (no thread: adopted sockets are closed at
** once). */
int linger_start(void);

/* Closes every socket still lingering and stops the worker. */
void linger_stop(void);

/* TAKES fd, a duplicate of a connection's socket whose answer is sent:
** shuts down its sending side and drains it in the background. */
void linger_adopt(int fd);

/* Sockets adopted so far, for /metrics and tests. */
unsigned long linger_count(void);

#endif
