/* JS error helpers shared by the binding's source files. */
#ifndef HEIMDAL_ERRORS_H
#define HEIMDAL_ERRORS_H

#include <node_api.h>

/* Codes set as `error.code`, so the TypeScript layer maps errors without parsing text. */
#define CODE_INVALID_ARG "ERR_INVALID_ARG"
#define CODE_PERM_DENIED "ERR_PCAP_PERM_DENIED"
#define CODE_PROMISC_PERM_DENIED "ERR_PCAP_PROMISC_PERM_DENIED"
#define CODE_NO_SUCH_DEVICE "ERR_PCAP_NO_SUCH_DEVICE"
#define CODE_IFACE_NOT_UP "ERR_PCAP_IFACE_NOT_UP"
#define CODE_BAD_FILTER "ERR_PCAP_FILTER"
#define CODE_CLOSED "ERR_PCAP_CLOSED"
#define CODE_PCAP "ERR_PCAP"

/* Creates an Error with `code` and a printf-formatted message (truncated at 2 KiB). */
napi_value make_error(napi_env env, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Throws such an Error unless an exception is already pending; always returns NULL. */
napi_value throw_error(napi_env env, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Turns a failed Node-API status into a thrown Error naming the call, keeping any pending one. */
napi_value throw_napi_failure(napi_env env, napi_status status, const char *what);

#define NAPI_OK_OR_THROW(env, call)                         \
  do {                                                      \
    napi_status status_ = (call);                           \
    if (status_ != napi_ok) {                               \
      return throw_napi_failure((env), status_, #call);     \
    }                                                       \
  } while (0)

#endif
