#include "interfaces.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "errors.h"

/* Formats an IPv4 or IPv6 socket address; other families (AF_PACKET) yield 0. */
static int format_address(const struct sockaddr *sa, char *out, size_t size) {
  if (sa == NULL) return 0;
  if (sa->sa_family == AF_INET) {
    return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size) != NULL;
  }
  if (sa->sa_family == AF_INET6) {
    return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size) != NULL;
  }
  return 0;
}

static napi_status set_bool(napi_env env, napi_value object, const char *key, bool value) {
  napi_value v;
  napi_status status = napi_get_boolean(env, value, &v);
  return status == napi_ok ? napi_set_named_property(env, object, key, v) : status;
}

static napi_status set_string(napi_env env, napi_value object, const char *key, const char *value) {
  napi_value v;
  napi_status status = napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  return status == napi_ok ? napi_set_named_property(env, object, key, v) : status;
}

static napi_value describe_device(napi_env env, const pcap_if_t *dev) {
  napi_value object, addresses;
  NAPI_OK_OR_THROW(env, napi_create_object(env, &object));
  NAPI_OK_OR_THROW(env, set_string(env, object, "name", dev->name));
  if (dev->description != NULL) {
    NAPI_OK_OR_THROW(env, set_string(env, object, "description", dev->description));
  }
  NAPI_OK_OR_THROW(env, napi_create_array(env, &addresses));
  uint32_t count = 0;
  for (const pcap_addr_t *a = dev->addresses; a != NULL; a = a->next) {
    char text[INET6_ADDRSTRLEN];
    if (!format_address(a->addr, text, sizeof text)) continue;
    napi_value v;
    NAPI_OK_OR_THROW(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v));
    NAPI_OK_OR_THROW(env, napi_set_element(env, addresses, count++, v));
  }
  NAPI_OK_OR_THROW(env, napi_set_named_property(env, object, "addresses", addresses));
  NAPI_OK_OR_THROW(env, set_bool(env, object, "up", (dev->flags & PCAP_IF_UP) != 0));
  NAPI_OK_OR_THROW(env, set_bool(env, object, "running", (dev->flags & PCAP_IF_RUNNING) != 0));
  NAPI_OK_OR_THROW(env, set_bool(env, object, "loopback", (dev->flags & PCAP_IF_LOOPBACK) != 0));
  return object;
}

napi_value list_interfaces(napi_env env, napi_callback_info info) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_if_t *devs = NULL;
  if (pcap_findalldevs(&devs, errbuf) != 0) {
    return throw_error(env, CODE_PCAP, "Cannot list network interfaces: %s", errbuf);
  }
  napi_value result = NULL;
  if (napi_create_array(env, &result) != napi_ok) {
    pcap_freealldevs(devs);
    return throw_error(env, CODE_PCAP, "Cannot list network interfaces: out of memory");
  }
  uint32_t index = 0;
  for (const pcap_if_t *dev = devs; dev != NULL; dev = dev->next) {
    napi_value object = describe_device(env, dev);
    if (object == NULL || napi_set_element(env, result, index++, object) != napi_ok) {
      result = NULL; /* the exception thrown by describe_device (or below) propagates */
      break;
    }
  }
  pcap_freealldevs(devs);
  return result != NULL ? result : throw_error(env, CODE_PCAP, "Cannot list network interfaces");
}

void describe_available_interfaces(char *out, size_t size) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_if_t *devs = NULL;
  out[0] = '\0';
  if (pcap_findalldevs(&devs, errbuf) != 0) {
    snprintf(out, size, "interface list unavailable: %s", errbuf);
    return;
  }
  size_t used = 0;
  for (const pcap_if_t *dev = devs; dev != NULL; dev = dev->next) {
    int n = snprintf(out + used, size - used, "%s%s", used == 0 ? "" : ", ", dev->name);
    if (n < 0 || (size_t)n >= size - used) {
      /* Out of room: end with an ellipsis instead of a half name. */
      out[used] = '\0';
      if (size - used > 5) memcpy(out + used, ", ...", 6);
      break;
    }
    used += (size_t)n;
  }
  if (devs == NULL) snprintf(out, size, "none");
  pcap_freealldevs(devs);
}
