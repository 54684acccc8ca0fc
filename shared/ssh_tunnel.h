/*
 * ssh_tunnel: database connections through an SSH bastion (the "ssh_tunnel" setting of the
 * MeltanoLabs tap and target), with libssh2.
 *
 *     "ssh_tunnel": {"enable": true, "host": "bastion", "port": 22, "username": "u",
 *                    "private_key": "-----BEGIN ...", "private_key_password": "...",
 *                    "host_key": "ssh-ed25519 AAAA...", "known_hosts": "~/.ssh/known_hosts",
 *                    "host_key_check": true}
 *
 * One SSH session per tunnel: ssh_tunnel_open connects, checks the bastion's host key (against
 * host_key, else the known_hosts file, default ~/.ssh/known_hosts; unchecked only with
 * host_key_check false, which is warned about), and authenticates with the private key (PEM
 * text, or the path of a key file). Then ssh_tunnel_forward gives, for a database host and port
 * as the bastion sees them, a port on 127.0.0.1 whose connections are forwarded through the
 * session (direct-tcpip channels, one per connection).
 *
 * Threads: libssh2 sessions are not thread-safe, so after ssh_tunnel_open returns, one thread of
 * the tunnel does all libssh2 calls (non-blocking, poll over the SSH socket, the local listening
 * sockets and the accepted ones). ssh_tunnel_forward and ssh_tunnel_alive may be called from
 * any thread. That thread blocks every signal, so SIGTERM and SIGINT still reach the program's
 * own threads.
 *
 * Failures: a failure to open is logged once here and ssh_tunnel_open returns NULL. A session
 * lost later (the bastion went away, a network failure found by keepalives) is logged once by
 * the tunnel's thread; every forwarded connection is closed then (libpq sees the server close
 * it) and ssh_tunnel_alive turns false, so a caller stops retrying.
 *
 * Secrets: the private key and its password are never logged; a key read from a file is wiped
 * from memory after use.
 */
#ifndef SINGER_SSH_TUNNEL_H
#define SINGER_SSH_TUNNEL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ssh_tunnel ssh_tunnel;

/*
 * ssh_tunnel_enabled: true when config (a program's whole config) has "ssh_tunnel" with
 * "enable" true.
 */
bool ssh_tunnel_enabled(const cJSON *config);

/*
 * ssh_tunnel_config_check: check config's "ssh_tunnel" object when it is enabled (a disabled or
 * absent one is fine): host, username and private_key given, port 1..65535, private_key PEM
 * text or a readable file, host_key lines well-formed, host_key / known_hosts / host_key_check
 * not contradicting each other. what names the file in messages. False after logging one line
 * naming the key (never its value); unknown keys of the object are warned about.
 */
bool ssh_tunnel_config_check(const cJSON *config, const char *what);

/*
 * ssh_tunnel_open: open the tunnel described by config's "ssh_tunnel" (checked by
 * ssh_tunnel_config_check). timeout_s bounds the TCP connect and each step of the handshake.
 * program names the client in the SSH disconnect message. Returns the tunnel (the caller
 * destroys it), or NULL after logging why.
 */
ssh_tunnel *ssh_tunnel_open(const cJSON *config, int timeout_s, const char *program);

/*
 * ssh_tunnel_forward: the port on 127.0.0.1 that forwards to host:port (the database as the
 * bastion sees it) through t; the first call for a host and port opens the local listener,
 * later ones reuse it. False after logging (the tunnel is down, no socket).
 */
bool ssh_tunnel_forward(ssh_tunnel *t, const char *host, int port, int *local_port);

/* ssh_tunnel_alive: false once the session was lost (logged by the tunnel's thread). */
bool ssh_tunnel_alive(ssh_tunnel *t);

/* ssh_tunnel_label: "user@bastion:port", for messages (borrowed, lives as long as t). */
const char *ssh_tunnel_label(const ssh_tunnel *t);

/*
 * ssh_tunnel_destroy: close every forwarded connection, disconnect the session politely, join
 * the tunnel's thread and free everything. NULL is fine.
 */
void ssh_tunnel_destroy(ssh_tunnel *t);

/*
 * ssh_tunnel_host_key_matches: whether a host key offered by a server (key[0..len), its SHA-256
 * fingerprint sha256[32]) is one of the keys the "host_key" setting lists: one per line, each
 * an OpenSSH public key line ("ssh-ed25519 AAAA... comment", as in *.pub or ssh-keyscan
 * output without the host name) or a fingerprint "SHA256:..." (as ssh-keygen -l prints it).
 * Exposed for the unit tests.
 */
bool ssh_tunnel_host_key_matches(const char *setting, const unsigned char *key, size_t len,
                                 const unsigned char sha256[32]);

/* ssh_tunnel_fingerprint: "SHA256:<base64 without padding>" of sha256[32] into out. */
void ssh_tunnel_fingerprint(const unsigned char sha256[32], char *out, size_t n);

#endif
