/*
 * slots.h: connections per IPv6 /64 (security review F10). libmicrohttpd
 * limits connections per address, but one host is routinely given a whole
 * /64: counted per address, an IPv6 host could hold every slot of a
 * listener. So a listener counts its IPv6 connections per /64 as well and
 * refuses a new one past limits.per_ip_connection_limit. IPv4 addresses
 * are left to libmicrohttpd's own per-address limit.
 */
#ifndef MASA_SLOTS_H
#define MASA_SLOTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct masa_slots;

/* The source addr counts under, as key: a family byte (4 or 6), then an
 * IPv4 address (IPv4-mapped IPv6 ones too) or an IPv6 /64. 0 if addr is
 * neither. Shared with the eviction table (evict.h). */
int masa_source_key(const struct sockaddr *addr, uint8_t key[9]);

/* A table for at most limit connections per /64; NULL if out of memory. */
struct masa_slots *masa_slots_new(unsigned limit);
void masa_slots_free(struct masa_slots *s);
/* Whether a new connection from addr may be accepted (1) or not (0): its
 * /64 holds fewer than limit. Anything but IPv6 (IPv4-mapped included) may. */
int masa_slots_allow(struct masa_slots *s, const struct sockaddr *addr);
/* A connection from addr started (delta 1) or ended (delta -1). Counted
 * apart from masa_slots_allow, since an accepted connection may still be
 * refused by the library's other limits and then never start. */
void masa_slots_count(struct masa_slots *s, const struct sockaddr *addr, int delta);

#endif
