/*
 * heimdal_pcap: a small Node-API (version 8) binding over libpcap.
 *
 * Plain node_api.h and no C++ wrapper, so one binary loads unchanged on every Node release
 * that supports Node-API 8 (Node 20 through 24 here). Exports:
 *   listInterfaces()             interfaces from pcap_findalldevs
 *   LiveCapture(options)         a live handle: start(), stats(), inject(), close()
 *   libpcapVersion               pcap_lib_version(), for diagnostics
 */
#include <pcap/pcap.h>

#include "capture.h"
#include "errors.h"
#include "interfaces.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, constructor, version;
  NAPI_OK_OR_THROW(env, napi_create_function(env, "listInterfaces", NAPI_AUTO_LENGTH, list_interfaces, NULL, &fn));
  NAPI_OK_OR_THROW(env, napi_set_named_property(env, exports, "listInterfaces", fn));
  NAPI_OK_OR_THROW(env, define_live_capture(env, &constructor));
  NAPI_OK_OR_THROW(env, napi_set_named_property(env, exports, "LiveCapture", constructor));
  NAPI_OK_OR_THROW(env, napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &version));
  NAPI_OK_OR_THROW(env, napi_set_named_property(env, exports, "libpcapVersion", version));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
