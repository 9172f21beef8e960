#ifndef HEIMDAL_INTERFACES_H
#define HEIMDAL_INTERFACES_H

#include <stddef.h>
#include <node_api.h>

/* listInterfaces(): [{ name, description?, addresses, up, running, loopback }] */
napi_value list_interfaces(napi_env env, napi_callback_info info);

/* Writes "eth0, lo, …" (or the reason the list is unavailable) into out, always terminated. */
void describe_available_interfaces(char *out, size_t size);

#endif
