/*
 * TUN backend: the network behind the gateway is the host's (or a network
 * namespace's) IP stack. Client packets are written to a TUN device whose
 * address is the gateway's and whose netmask covers the client pool, so
 * the kernel routes answers for pool addresses back to us.
 */
#ifndef P2SGW_TUN_H
#define P2SGW_TUN_H

#include <stddef.h>
#include <stdint.h>

/* Create and configure the device; returns a non-blocking fd or -1 with err. */
int tun_open(const char *name, uint32_t gateway_ip, uint8_t prefix, char *err, size_t errlen);

#endif
