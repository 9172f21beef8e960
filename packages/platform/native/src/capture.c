/*
 * LiveCapture: one libpcap handle on one interface.
 *
 *   new LiveCapture({ device, snapLength, promiscuous, bufferSize, immediate, timeoutMs,
 *                     filter, injectOnly })
 *     opens and activates the handle; throws an Error whose `code` names the cause.
 *     Instance properties: device, linkType (a LINKTYPE_ value), snapLength, warning?.
 *   start(slots, onBatch)
 *     slots: batches shaped like core's PacketBatch (data, offsets, capturedLengths,
 *     wireLengths, timestampsUs, linkTypes). Packets are copied into slot 0 first; after each
 *     batch, onBatch(null, slotIndex, count) is called once and returns the index of the slot
 *     to fill next (returning the same index drops that batch; the JS side counts it).
 *     A read error calls onBatch(error, -1, 0) once and stops delivery.
 *   stats()    { received, kernelReceived, droppedByKernel, droppedByInterface, lost }
 *   inject(frame: Uint8Array)    sends one link-layer frame (pcap_inject).
 *   close()    idempotent; safe from inside onBatch.
 *
 * Delivery: a uv_poll on pcap_get_selectable_fd wakes us; pcap_dispatch then copies packets
 * into the current slot until it is full or the ring is empty, and JS is called once per batch.
 */
#include "capture.h"

#include <limits.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "errors.h"
#include "interfaces.h"

/* Bounds the work per wakeup so a flood cannot starve the rest of the event loop (timers,
 * sockets); leftover packets are drained on the next loop iteration. */
#define MAX_BATCHES_PER_WAKEUP 8
#define MAX_SLOTS 4096
/* A socket error is normally followed by libpcap's verdict or by a quiet socket; this many in
 * a row with nothing readable in between means something is wrong, so we stop instead of spin. */
#define MAX_CONSECUTIVE_POLL_ERRORS 100
#define DEVICE_NAME_MAX 256

typedef struct {
  uint8_t *data;
  size_t data_size;
  uint32_t *offsets;
  uint32_t *captured_lengths;
  uint32_t *wire_lengths;
  double *timestamps_us;
  uint16_t *link_types;
  uint32_t capacity;
} slot_t;

enum { SLOT_ARRAYS = 6 };

typedef struct {
  napi_env env;
  pcap_t *pcap;
  char device[DEVICE_NAME_MAX];
  int link_type;
  uint32_t snap_length;
  char warning[PCAP_ERRBUF_SIZE + 64]; /* from pcap_activate; empty when there was none */

  /* libuv handles are separate allocations freed by their close callbacks, which may run
   * after this struct is gone (finalizer), so they never point back here once closed. */
  uv_poll_t *poll;
  uv_timer_t *timer;

  napi_ref self_ref; /* keeps the JS object (and so this struct) alive while started */
  napi_ref callback_ref;
  napi_async_context async_context;

  slot_t *slots;
  napi_ref *slot_refs; /* SLOT_ARRAYS per slot: keeps the typed arrays behind our pointers alive */
  uint32_t slot_count;

  /* Fill state of slots[current]. */
  uint32_t current;
  uint32_t count;
  size_t used;

  /* A packet that arrived when the current slot had no room left; it opens the next batch. */
  uint8_t *pending;
  struct pcap_pkthdr pending_header;
  bool has_pending;
  bool batch_full;

  int poll_errors; /* consecutive socket errors reported by the poll */
  uint64_t handed; /* packets pcap_dispatch handed to us */
  uint64_t lost;   /* packets we could not store (defensive; should stay 0) */
  struct pcap_stat final_stats;
  bool has_final_stats;

  bool started;
  bool closed;
  bool cleanup_hook_ran;
  bool in_callback;     /* inside napi_make_callback with our async context */
  bool release_pending; /* close() ran in the callback: release JS references once it returns */
} capture_t;

/* ---------- option parsing ---------- */

static bool has_property(napi_env env, napi_value object, const char *key, napi_value *value) {
  bool has = false;
  if (napi_has_named_property(env, object, key, &has) != napi_ok || !has) return false;
  if (napi_get_named_property(env, object, key, value) != napi_ok) return false;
  napi_valuetype type;
  napi_typeof(env, *value, &type);
  return type != napi_undefined;
}

/* Returns false with an exception pending on a type error; keeps *out when absent. */
static bool read_uint32_option(napi_env env, napi_value options, const char *key, uint32_t *out) {
  napi_value value;
  if (!has_property(env, options, key, &value)) return true;
  double number;
  if (napi_get_value_double(env, value, &number) != napi_ok || number < 0 || number > UINT32_MAX ||
      number != (double)(uint32_t)number) {
    throw_error(env, CODE_INVALID_ARG, "Option \"%s\" must be an integer from 0 to 4294967295", key);
    return false;
  }
  *out = (uint32_t)number;
  return true;
}

static bool read_bool_option(napi_env env, napi_value options, const char *key, bool *out) {
  napi_value value;
  if (!has_property(env, options, key, &value)) return true;
  if (napi_get_value_bool(env, value, out) != napi_ok) {
    throw_error(env, CODE_INVALID_ARG, "Option \"%s\" must be a boolean", key);
    return false;
  }
  return true;
}

/* Reads a string option into a malloc'd buffer (*out stays NULL when absent). */
static bool read_string_option(napi_env env, napi_value options, const char *key, char **out) {
  napi_value value;
  *out = NULL;
  if (!has_property(env, options, key, &value)) return true;
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    throw_error(env, CODE_INVALID_ARG, "Option \"%s\" must be a string", key);
    return false;
  }
  *out = malloc(length + 1);
  if (*out == NULL) {
    throw_error(env, CODE_INVALID_ARG, "Option \"%s\": out of memory", key);
    return false;
  }
  napi_get_value_string_utf8(env, value, *out, length + 1, &length);
  return true;
}

/* ---------- opening ---------- */

/* pcap_datalink() returns DLT_ values; batches carry LINKTYPE_ values as in capture files.
 * They differ only for a few historical types (tcpdump.org/linktypes.html). */
static int linktype_from_dlt(int dlt) {
  switch (dlt) {
    case DLT_RAW:
      return 101; /* LINKTYPE_RAW: DLT_RAW is 12 or 14 depending on the OS */
    case DLT_ATM_RFC1483:
      return 100;
    default:
      return dlt;
  }
}

/* Throws the activation error, named so callers can react (permission, missing device), with
 * libpcap's own text in `error.detail`. */
static void throw_activate_error(napi_env env, pcap_t *p, const char *device, int rc) {
  const char *detail = pcap_geterr(p);
  if (detail == NULL || detail[0] == '\0') detail = pcap_statustostr(rc);
  napi_value error = NULL;
  switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
      error = make_error(env, CODE_PERM_DENIED, "Cannot open interface \"%s\": permission denied (%s)", device, detail);
      break;
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      error = make_error(env, CODE_PROMISC_PERM_DENIED,
                         "Cannot open interface \"%s\" in promiscuous mode: permission denied (%s)", device, detail);
      break;
    case PCAP_ERROR_NO_SUCH_DEVICE: {
      char available[1024];
      describe_available_interfaces(available, sizeof available);
      error = make_error(env, CODE_NO_SUCH_DEVICE, "Cannot open interface \"%s\": no such device (available: %s)",
                         device, available);
      break;
    }
    case PCAP_ERROR_IFACE_NOT_UP:
      error = make_error(env, CODE_IFACE_NOT_UP, "Cannot open interface \"%s\": interface is not up", device);
      break;
    default:
      error = make_error(env, CODE_PCAP, "Cannot open interface \"%s\": %s (%s)", device, pcap_statustostr(rc),
                         detail);
      break;
  }
  napi_value detail_value;
  if (error == NULL) {
    throw_error(env, CODE_PCAP, "Cannot open interface \"%s\": %s", device, detail);
    return;
  }
  if (napi_create_string_utf8(env, detail, NAPI_AUTO_LENGTH, &detail_value) == napi_ok) {
    napi_set_named_property(env, error, "detail", detail_value);
  }
  napi_throw(env, error);
}

static bool apply_filter(napi_env env, capture_t *c, const char *filter) {
  bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
  char errbuf[PCAP_ERRBUF_SIZE];
  /* The netmask only matters for "ip broadcast"; interfaces without IPv4 have none. */
  if (pcap_lookupnet(c->device, &net, &mask, errbuf) != 0) mask = PCAP_NETMASK_UNKNOWN;
  struct bpf_program program;
  if (pcap_compile(c->pcap, &program, filter, 1, mask) != 0) {
    throw_error(env, CODE_BAD_FILTER, "Invalid capture filter \"%s\" on \"%s\": %s", filter, c->device,
                pcap_geterr(c->pcap));
    return false;
  }
  int rc = pcap_setfilter(c->pcap, &program);
  pcap_freecode(&program);
  if (rc != 0) {
    throw_error(env, CODE_BAD_FILTER, "Cannot apply capture filter \"%s\" on \"%s\": %s", filter, c->device,
                pcap_geterr(c->pcap));
    return false;
  }
  return true;
}

/* An injection-only handle still owns a receive ring; a filter that accepts nothing keeps the
 * kernel from copying every packet on the interface into it. */
static bool drop_all_received(napi_env env, capture_t *c) {
  struct bpf_insn reject = BPF_STMT(BPF_RET | BPF_K, 0);
  struct bpf_program program = {1, &reject};
  if (pcap_setfilter(c->pcap, &program) != 0) {
    throw_error(env, CODE_PCAP, "Cannot prepare \"%s\" for injection: %s", c->device, pcap_geterr(c->pcap));
    return false;
  }
  return true;
}

typedef struct {
  uint32_t snap_length;
  uint32_t buffer_size;
  uint32_t timeout_ms;
  bool promiscuous;
  bool immediate;
  bool inject_only;
  char *filter;
} open_options_t;

/* Creates and activates the handle; returns false with an exception pending. */
static bool open_handle(napi_env env, capture_t *c, const open_options_t *o) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  c->pcap = pcap_create(c->device, errbuf);
  if (c->pcap == NULL) {
    throw_error(env, CODE_PCAP, "Cannot open interface \"%s\": %s", c->device, errbuf);
    return false;
  }
  pcap_set_snaplen(c->pcap, (int)o->snap_length);
  pcap_set_promisc(c->pcap, o->promiscuous ? 1 : 0);
  if (o->buffer_size > 0) pcap_set_buffer_size(c->pcap, (int)o->buffer_size);
  pcap_set_immediate_mode(c->pcap, o->immediate ? 1 : 0);
  pcap_set_timeout(c->pcap, (int)o->timeout_ms);
  pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_MICRO);

  int rc = pcap_activate(c->pcap);
  if (rc < 0) {
    throw_activate_error(env, c->pcap, c->device, rc);
    return false;
  }
  if (rc > 0) {
    /* A warning (e.g. promiscuous mode not supported): the handle works; JS may log it. */
    snprintf(c->warning, sizeof c->warning, "%s: %s", pcap_statustostr(rc), pcap_geterr(c->pcap));
  }
  if (o->inject_only) {
    if (!drop_all_received(env, c)) return false;
  } else if (o->filter != NULL && o->filter[0] != '\0') {
    if (!apply_filter(env, c, o->filter)) return false;
  }
  if (pcap_setnonblock(c->pcap, 1, errbuf) != 0) {
    throw_error(env, CODE_PCAP, "Cannot make capture on \"%s\" non-blocking: %s", c->device, errbuf);
    return false;
  }
  c->link_type = linktype_from_dlt(pcap_datalink(c->pcap));
  int snapshot = pcap_snapshot(c->pcap);
  c->snap_length = snapshot > 0 ? (uint32_t)snapshot : o->snap_length;
  return true;
}

/* ---------- delivery ---------- */

static void free_handle(uv_handle_t *handle) { free(handle); }

static void stop_polling(capture_t *c) {
  if (c->poll != NULL) {
    uv_poll_stop(c->poll);
    c->poll->data = NULL;
    uv_close((uv_handle_t *)c->poll, free_handle);
    c->poll = NULL;
  }
  if (c->timer != NULL) {
    uv_timer_stop(c->timer);
    c->timer->data = NULL;
    uv_close((uv_handle_t *)c->timer, free_handle);
    c->timer = NULL;
  }
}

static void store_packet(capture_t *c, const struct pcap_pkthdr *h, uint32_t caplen, const u_char *bytes) {
  slot_t *s = &c->slots[c->current];
  uint32_t i = c->count;
  s->offsets[i] = (uint32_t)c->used;
  s->captured_lengths[i] = caplen;
  s->wire_lengths[i] = h->len;
  s->timestamps_us[i] = (double)h->ts.tv_sec * 1e6 + (double)h->ts.tv_usec;
  s->link_types[i] = (uint16_t)c->link_type;
  memcpy(s->data + c->used, bytes, caplen);
  c->count++;
  c->used += caplen;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  capture_t *c = (capture_t *)user;
  c->handed++;
  /* libpcap never exceeds the snapshot length; clamp anyway so our copies stay in bounds. */
  uint32_t caplen = h->caplen <= c->snap_length ? h->caplen : c->snap_length;
  const slot_t *s = &c->slots[c->current];
  if (c->count < s->capacity && caplen <= s->data_size - c->used) {
    store_packet(c, h, caplen, bytes);
    return;
  }
  if (c->has_pending) {
    c->lost++; /* only if libpcap ignored pcap_breakloop below; counted, never silent */
    return;
  }
  /* The slot is full: keep this packet for the next batch and stop pcap_dispatch. */
  memcpy(c->pending, bytes, caplen);
  c->pending_header = *h;
  c->pending_header.caplen = caplen;
  c->has_pending = true;
  c->batch_full = true;
  pcap_breakloop(c->pcap);
}

typedef enum { FILL_DRAINED, FILL_FULL, FILL_ERROR } fill_result_t;

/* Copies packets into the current slot until it is full or libpcap has none ready. */
static fill_result_t fill_current(capture_t *c) {
  const slot_t *s = &c->slots[c->current];
  if (c->has_pending && c->count == 0) {
    c->has_pending = false;
    store_packet(c, &c->pending_header, c->pending_header.caplen, c->pending);
  }
  c->batch_full = false;
  while (c->count < s->capacity) {
    int n = pcap_dispatch(c->pcap, (int)(s->capacity - c->count), on_packet, (u_char *)c);
    if (c->batch_full) return FILL_FULL;
    if (n == PCAP_ERROR) return FILL_ERROR;
    /* 0: nothing ready. PCAP_ERROR_BREAK without our breakloop: a stale wakeup; the
     * level-triggered poll calls us again if packets remain. */
    if (n <= 0) return FILL_DRAINED;
  }
  return FILL_FULL;
}

static void release_js(napi_env env, capture_t *c);

/* Calls onBatch inside the object's async context so promise jobs run right after it. */
static napi_status call_js(capture_t *c, napi_value self, napi_value error, int32_t slot, uint32_t count,
                           napi_value *result) {
  napi_env env = c->env;
  napi_value callback, argv[3];
  napi_status status;
  if ((status = napi_get_reference_value(env, c->callback_ref, &callback)) != napi_ok) return status;
  if (error != NULL) {
    argv[0] = error;
  } else if ((status = napi_get_null(env, &argv[0])) != napi_ok) {
    return status;
  }
  if ((status = napi_create_int32(env, slot, &argv[1])) != napi_ok) return status;
  if ((status = napi_create_uint32(env, count, &argv[2])) != napi_ok) return status;
  c->in_callback = true;
  status = napi_make_callback(env, c->async_context, self, callback, 3, argv, result);
  c->in_callback = false;
  if (c->release_pending) {
    /* close() was called from onBatch: its async context and references outlived the call. */
    c->release_pending = false;
    release_js(env, c);
  }
  if (status == napi_pending_exception) {
    /* An exception from onBatch is an uncaught exception, as for any event listener. */
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
  }
  return status;
}

static void deliver_batch(capture_t *c, napi_value self) {
  uint32_t slot = c->current, count = c->count;
  c->count = 0;
  c->used = 0;
  napi_value result = NULL;
  napi_status status = call_js(c, self, NULL, (int32_t)slot, count, &result);
  if (c->closed) return; /* close() ran inside the callback: the slots are gone */
  uint32_t next;
  if (status == napi_ok && result != NULL && napi_get_value_uint32(c->env, result, &next) == napi_ok &&
      next < c->slot_count) {
    c->current = next;
  }
}

static void deliver_error(capture_t *c, napi_value self, const char *what) {
  napi_value error = make_error(c->env, CODE_PCAP, "Capture on \"%s\" failed: %s", c->device, what);
  stop_polling(c); /* a failed handle would keep the fd readable and spin */
  napi_value result;
  if (error != NULL) call_js(c, self, error, -1, 0, &result);
}

static void on_timer(uv_timer_t *timer);

static void drain(capture_t *c, int max_batches) {
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  /* A local handle to our object roots it (and so `c`) even if onBatch calls close(). */
  napi_value self;
  if (napi_get_reference_value(env, c->self_ref, &self) != napi_ok || self == NULL) {
    napi_close_handle_scope(env, scope);
    return;
  }
  bool more = false;
  for (int i = 0; i < max_batches && !c->closed; i++) {
    fill_result_t r = fill_current(c);
    if (r == FILL_ERROR) {
      char message[PCAP_ERRBUF_SIZE];
      snprintf(message, sizeof message, "%s", pcap_geterr(c->pcap));
      if (c->count > 0) deliver_batch(c, self); /* what was read before the error still counts */
      if (!c->closed) deliver_error(c, self, message);
      more = false;
      break;
    }
    if (c->count > 0) deliver_batch(c, self);
    more = r == FILL_FULL;
    if (!more) break;
  }
  if (!c->closed && c->timer != NULL) {
    /* Resume soon if we stopped with packets left (the poll would not fire for a pending
     * packet alone); otherwise honour libpcap's required select timeout, if it has one. */
    const struct timeval *required = pcap_get_required_select_timeout(c->pcap);
    if (more || c->has_pending) {
      uv_timer_start(c->timer, on_timer, 0, 0);
    } else if (required != NULL) {
      uint64_t ms = (uint64_t)required->tv_sec * 1000 + (uint64_t)(required->tv_usec + 999) / 1000;
      uv_timer_start(c->timer, on_timer, ms, 0);
    } else {
      uv_timer_stop(c->timer);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void on_timer(uv_timer_t *timer) {
  capture_t *c = timer->data;
  if (c != NULL && !c->closed) drain(c, MAX_BATCHES_PER_WAKEUP);
}

static void on_poll(uv_poll_t *poll, int status, int events) {
  capture_t *c = poll->data;
  if (c == NULL || c->closed) return;
  if (status < 0) {
    /* libuv reports a socket error (POLLERR: interface down or gone) as UV_EBADF and stops
     * the poll. Read what is left: pcap_dispatch then fetches the socket error and fails
     * with libpcap's own explanation, which deliver_error passes on. */
    drain(c, INT_MAX);
    if (c->closed || c->poll == NULL) return;
    /* No error from libpcap: the interface went down, which libpcap 1.10 survives (it asks
     * to be polled on its required timeout, armed by drain, until the link returns). Poll
     * again, unless errors keep coming with nothing in between. */
    if (++c->poll_errors < MAX_CONSECUTIVE_POLL_ERRORS && uv_poll_start(c->poll, UV_READABLE, on_poll) == 0) return;
    napi_handle_scope scope;
    napi_value self;
    if (napi_open_handle_scope(c->env, &scope) != napi_ok) return;
    if (napi_get_reference_value(c->env, c->self_ref, &self) == napi_ok && self != NULL) {
      deliver_error(c, self, uv_strerror(status));
    }
    napi_close_handle_scope(c->env, scope);
    return;
  }
  c->poll_errors = 0;
  drain(c, MAX_BATCHES_PER_WAKEUP);
}

/* ---------- closing ---------- */

/* Releases everything native; makes no JS calls, so finalizers and cleanup hooks may use it. */
static void close_native(capture_t *c) {
  if (c->closed) return;
  c->closed = true;
  if (c->pcap != NULL) {
    struct pcap_stat st;
    if (pcap_stats(c->pcap, &st) == 0) {
      c->final_stats = st;
      c->has_final_stats = true;
    }
  }
  stop_polling(c);
  if (c->pcap != NULL) {
    pcap_close(c->pcap);
    c->pcap = NULL;
  }
  free(c->pending);
  c->pending = NULL;
  free(c->slots);
  c->slots = NULL;
}

static void release_js(napi_env env, capture_t *c) {
  if (c->slot_refs != NULL) {
    for (size_t i = 0; i < (size_t)c->slot_count * SLOT_ARRAYS; i++) {
      if (c->slot_refs[i] != NULL) napi_delete_reference(env, c->slot_refs[i]);
    }
    free(c->slot_refs);
    c->slot_refs = NULL;
  }
  if (c->callback_ref != NULL) napi_delete_reference(env, c->callback_ref);
  c->callback_ref = NULL;
  if (c->async_context != NULL) napi_async_destroy(env, c->async_context);
  c->async_context = NULL;
  if (c->self_ref != NULL) napi_delete_reference(env, c->self_ref);
  c->self_ref = NULL;
}

/* Worker exit or process teardown with the capture still open. */
static void cleanup_hook(void *arg) {
  capture_t *c = arg;
  c->cleanup_hook_ran = true;
  close_native(c);
}

static void finalize(napi_env env, void *data, void *hint) {
  capture_t *c = data;
  if (!c->cleanup_hook_ran) napi_remove_env_cleanup_hook(env, cleanup_hook, c);
  close_native(c);
  /* On teardown the env drops its references itself; only our array remains to free. */
  free(c->slot_refs);
  free(c);
}

/* ---------- JS methods ---------- */

static capture_t *unwrap_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                              napi_value *self) {
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, self, NULL) != napi_ok ||
      napi_unwrap(env, *self, &data) != napi_ok || data == NULL) {
    throw_error(env, CODE_INVALID_ARG, "LiveCapture method called on an incompatible object");
    return NULL;
  }
  return data;
}

static napi_value capture_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self, target;
  NAPI_OK_OR_THROW(env, napi_get_new_target(env, info, &target));
  if (target == NULL) return throw_error(env, CODE_INVALID_ARG, "LiveCapture must be called with new");
  NAPI_OK_OR_THROW(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type != napi_object) return throw_error(env, CODE_INVALID_ARG, "LiveCapture needs an options object");
  napi_value options = argv[0];

  napi_value device_value;
  size_t device_length = 0;
  char device[DEVICE_NAME_MAX];
  if (!has_property(env, options, "device", &device_value) ||
      napi_get_value_string_utf8(env, device_value, device, sizeof device, &device_length) != napi_ok ||
      device_length == 0) {
    return throw_error(env, CODE_INVALID_ARG, "Option \"device\" must be a non-empty interface name");
  }
  if (device_length >= sizeof device - 1) {
    return throw_error(env, CODE_INVALID_ARG, "Interface name \"%.40s...\" is too long", device);
  }

  open_options_t o = {.snap_length = 65535, .buffer_size = 0, .timeout_ms = 100};
  if (!read_uint32_option(env, options, "snapLength", &o.snap_length) ||
      !read_uint32_option(env, options, "bufferSize", &o.buffer_size) ||
      !read_uint32_option(env, options, "timeoutMs", &o.timeout_ms) ||
      !read_bool_option(env, options, "promiscuous", &o.promiscuous) ||
      !read_bool_option(env, options, "immediate", &o.immediate) ||
      !read_bool_option(env, options, "injectOnly", &o.inject_only)) {
    return NULL;
  }
  if (o.snap_length == 0 || o.snap_length > 262144) {
    return throw_error(env, CODE_INVALID_ARG, "Option \"snapLength\" is %u; expected 1 to 262144", o.snap_length);
  }
  if (o.buffer_size > INT_MAX || o.timeout_ms > INT_MAX) {
    return throw_error(env, CODE_INVALID_ARG, "Option \"bufferSize\" or \"timeoutMs\" is too large");
  }
  if (!read_string_option(env, options, "filter", &o.filter)) return NULL;

  capture_t *c = calloc(1, sizeof *c);
  if (c == NULL) {
    free(o.filter);
    return throw_error(env, CODE_PCAP, "Cannot open interface \"%s\": out of memory", device);
  }
  c->env = env;
  memcpy(c->device, device, device_length + 1);
  bool opened = open_handle(env, c, &o);
  free(o.filter);
  if (!opened) {
    if (c->pcap != NULL) pcap_close(c->pcap);
    free(c);
    return NULL;
  }

  napi_value device_js, link_type, snap_length;
  napi_status status = napi_create_string_utf8(env, c->device, NAPI_AUTO_LENGTH, &device_js);
  if (status == napi_ok) status = napi_set_named_property(env, self, "device", device_js);
  if (status == napi_ok) status = napi_create_int32(env, c->link_type, &link_type);
  if (status == napi_ok) status = napi_set_named_property(env, self, "linkType", link_type);
  if (status == napi_ok) status = napi_create_uint32(env, c->snap_length, &snap_length);
  if (status == napi_ok) status = napi_set_named_property(env, self, "snapLength", snap_length);
  if (status == napi_ok && c->warning[0] != '\0') {
    napi_value warning;
    status = napi_create_string_utf8(env, c->warning, NAPI_AUTO_LENGTH, &warning);
    if (status == napi_ok) status = napi_set_named_property(env, self, "warning", warning);
  }
  if (status == napi_ok) status = napi_wrap(env, self, c, finalize, NULL, NULL);
  if (status != napi_ok) {
    pcap_close(c->pcap);
    free(c);
    return throw_napi_failure(env, status, "LiveCapture setup");
  }
  napi_add_env_cleanup_hook(env, cleanup_hook, c);
  return self;
}

typedef struct {
  const char *name;
  napi_typedarray_type type;
} array_spec_t;

static const array_spec_t SLOT_SPECS[SLOT_ARRAYS] = {
    {"data", napi_uint8_array},         {"offsets", napi_uint32_array},      {"capturedLengths", napi_uint32_array},
    {"wireLengths", napi_uint32_array}, {"timestampsUs", napi_float64_array}, {"linkTypes", napi_uint16_array},
};

static const char *typed_array_name(napi_typedarray_type type) {
  switch (type) {
    case napi_uint8_array: return "Uint8Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float64_array: return "Float64Array";
    default: return "typed array";
  }
}

/* Reads one batch object into s, creating references that keep its arrays alive. */
static bool bind_slot(napi_env env, capture_t *c, napi_value batch, uint32_t index) {
  slot_t *s = &c->slots[index];
  void *pointers[SLOT_ARRAYS];
  size_t lengths[SLOT_ARRAYS];
  for (int k = 0; k < SLOT_ARRAYS; k++) {
    napi_value array, buffer;
    bool is_typed = false;
    napi_typedarray_type type;
    size_t byte_offset;
    if (napi_get_named_property(env, batch, SLOT_SPECS[k].name, &array) != napi_ok ||
        napi_is_typedarray(env, array, &is_typed) != napi_ok || !is_typed ||
        napi_get_typedarray_info(env, array, &type, &lengths[k], &pointers[k], &buffer, &byte_offset) != napi_ok ||
        type != SLOT_SPECS[k].type) {
      throw_error(env, CODE_INVALID_ARG, "Batch %u: \"%s\" must be a %s", index, SLOT_SPECS[k].name,
                  typed_array_name(SLOT_SPECS[k].type));
      return false;
    }
    if (napi_create_reference(env, array, 1, &c->slot_refs[(size_t)index * SLOT_ARRAYS + k]) != napi_ok) {
      throw_error(env, CODE_INVALID_ARG, "Batch %u: cannot reference \"%s\"", index, SLOT_SPECS[k].name);
      return false;
    }
  }
  size_t capacity = lengths[1];
  for (int k = 2; k < SLOT_ARRAYS; k++) capacity = lengths[k] < capacity ? lengths[k] : capacity;
  if (capacity == 0 || capacity > INT_MAX) {
    throw_error(env, CODE_INVALID_ARG, "Batch %u: header arrays hold %zu packets; expected 1 to %d", index, capacity,
                INT_MAX);
    return false;
  }
  /* Every packet must fit an empty slot, and offsets are 32-bit. */
  if (lengths[0] < c->snap_length || lengths[0] > UINT32_MAX) {
    throw_error(env, CODE_INVALID_ARG, "Batch %u: data holds %zu bytes; expected %u (the snapshot length) to %u",
                index, lengths[0], c->snap_length, UINT32_MAX);
    return false;
  }
  s->data = pointers[0];
  s->data_size = lengths[0];
  s->offsets = pointers[1];
  s->captured_lengths = pointers[2];
  s->wire_lengths = pointers[3];
  s->timestamps_us = pointers[4];
  s->link_types = pointers[5];
  s->capacity = (uint32_t)capacity;
  return true;
}

/* Undoes a failed start(): everything start() created, nothing else. */
static void unwind_start(napi_env env, capture_t *c) {
  if (c->poll != NULL || c->timer != NULL) stop_polling(c);
  release_js(env, c);
  free(c->slots);
  c->slots = NULL;
  free(c->pending);
  c->pending = NULL;
  c->slot_count = 0;
}

static napi_value capture_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  capture_t *c = unwrap_this(env, info, &argc, argv, &self);
  if (c == NULL) return NULL;
  if (c->closed) return throw_error(env, CODE_CLOSED, "Cannot start capture on \"%s\": it is closed", c->device);
  if (c->started) return throw_error(env, CODE_INVALID_ARG, "Capture on \"%s\" is already started", c->device);

  bool is_array = false;
  uint32_t slot_count = 0;
  napi_valuetype callback_type = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &callback_type);
  if (argc < 2 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &slot_count) != napi_ok || callback_type != napi_function) {
    return throw_error(env, CODE_INVALID_ARG, "start(slots, onBatch) needs an array of batches and a function");
  }
  if (slot_count < 1 || slot_count > MAX_SLOTS) {
    return throw_error(env, CODE_INVALID_ARG, "start() got %u batches; expected 1 to %d", slot_count, MAX_SLOTS);
  }

  c->slots = calloc(slot_count, sizeof *c->slots);
  c->slot_refs = calloc((size_t)slot_count * SLOT_ARRAYS, sizeof *c->slot_refs);
  c->pending = malloc(c->snap_length);
  c->slot_count = slot_count;
  if (c->slots == NULL || c->slot_refs == NULL || c->pending == NULL) {
    unwind_start(env, c);
    return throw_error(env, CODE_PCAP, "Cannot start capture on \"%s\": out of memory", c->device);
  }
  for (uint32_t i = 0; i < slot_count; i++) {
    napi_value batch;
    if (napi_get_element(env, argv[0], i, &batch) != napi_ok || !bind_slot(env, c, batch, i)) {
      unwind_start(env, c);
      return throw_error(env, CODE_INVALID_ARG, "Batch %u is not a packet batch", i);
    }
  }

  napi_value resource_name;
  uv_loop_t *loop = NULL;
  int fd = pcap_get_selectable_fd(c->pcap);
  if (fd < 0) {
    unwind_start(env, c);
    return throw_error(env, CODE_PCAP, "Capture on \"%s\" has no selectable descriptor", c->device);
  }
  if (napi_create_reference(env, argv[1], 1, &c->callback_ref) != napi_ok ||
      napi_create_string_utf8(env, "HeimdalLiveCapture", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, self, resource_name, &c->async_context) != napi_ok ||
      napi_create_reference(env, self, 1, &c->self_ref) != napi_ok || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    unwind_start(env, c);
    return throw_error(env, CODE_PCAP, "Cannot start capture on \"%s\": Node-API failure", c->device);
  }

  c->poll = malloc(sizeof *c->poll);
  c->timer = malloc(sizeof *c->timer);
  if (c->poll == NULL || c->timer == NULL) {
    free(c->poll);
    free(c->timer);
    c->poll = NULL;
    c->timer = NULL;
    unwind_start(env, c);
    return throw_error(env, CODE_PCAP, "Cannot start capture on \"%s\": out of memory", c->device);
  }
  int rc = uv_poll_init(loop, c->poll, fd);
  if (rc != 0) {
    free(c->poll);
    free(c->timer);
    c->poll = NULL;
    c->timer = NULL;
    unwind_start(env, c);
    return throw_error(env, CODE_PCAP, "Cannot poll capture on \"%s\": %s", c->device, uv_strerror(rc));
  }
  c->poll->data = c;
  uv_timer_init(loop, c->timer);
  c->timer->data = c;
  uv_unref((uv_handle_t *)c->timer); /* the poll alone decides whether the loop stays alive */
  rc = uv_poll_start(c->poll, UV_READABLE, on_poll);
  if (rc != 0) {
    unwind_start(env, c);
    return throw_error(env, CODE_PCAP, "Cannot poll capture on \"%s\": %s", c->device, uv_strerror(rc));
  }
  c->current = 0;
  c->started = true;
  return NULL;
}

static napi_value capture_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value self;
  capture_t *c = unwrap_this(env, info, &argc, NULL, &self);
  if (c == NULL) return NULL;
  struct pcap_stat st = {0};
  if (!c->closed && c->pcap != NULL) {
    if (pcap_stats(c->pcap, &st) != 0) {
      return throw_error(env, CODE_PCAP, "Cannot read capture statistics for \"%s\": %s", c->device,
                         pcap_geterr(c->pcap));
    }
  } else if (c->has_final_stats) {
    st = c->final_stats;
  }
  napi_value result, v;
  NAPI_OK_OR_THROW(env, napi_create_object(env, &result));
  const struct {
    const char *key;
    double value;
  } fields[] = {
      {"received", (double)c->handed},
      {"kernelReceived", (double)st.ps_recv},
      {"droppedByKernel", (double)st.ps_drop},
      {"droppedByInterface", (double)st.ps_ifdrop},
      {"lost", (double)c->lost},
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    NAPI_OK_OR_THROW(env, napi_create_double(env, fields[i].value, &v));
    NAPI_OK_OR_THROW(env, napi_set_named_property(env, result, fields[i].key, v));
  }
  return result;
}

static napi_value capture_inject(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  capture_t *c = unwrap_this(env, info, &argc, argv, &self);
  if (c == NULL) return NULL;
  if (c->closed || c->pcap == NULL) {
    return throw_error(env, CODE_CLOSED, "Cannot inject on \"%s\": the handle is closed", c->device);
  }
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0, byte_offset;
  void *data = NULL;
  napi_value buffer;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &byte_offset) != napi_ok ||
      type != napi_uint8_array) {
    return throw_error(env, CODE_INVALID_ARG, "inject() needs the frame as a Uint8Array");
  }
  if (length == 0 || length > INT_MAX) {
    return throw_error(env, CODE_INVALID_ARG, "Cannot inject a %zu-byte frame on \"%s\"", length, c->device);
  }
  int sent = pcap_inject(c->pcap, data, length);
  if (sent < 0) {
    return throw_error(env, CODE_PCAP, "Cannot inject a %zu-byte frame on \"%s\": %s", length, c->device,
                       pcap_geterr(c->pcap));
  }
  if ((size_t)sent != length) {
    return throw_error(env, CODE_PCAP, "Injected only %d of %zu bytes on \"%s\"", sent, length, c->device);
  }
  return NULL;
}

static napi_value capture_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value self;
  capture_t *c = unwrap_this(env, info, &argc, NULL, &self);
  if (c == NULL) return NULL;
  if (!c->closed) {
    close_native(c);
    if (c->in_callback) {
      c->release_pending = true; /* napi_make_callback is still using the async context */
    } else {
      release_js(env, c);
    }
  }
  return NULL;
}

napi_status define_live_capture(napi_env env, napi_value *constructor) {
  napi_property_descriptor methods[] = {
      {"start", NULL, capture_start, NULL, NULL, NULL, napi_default_method, NULL},
      {"stats", NULL, capture_stats, NULL, NULL, NULL, napi_default_method, NULL},
      {"inject", NULL, capture_inject, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, capture_close, NULL, NULL, NULL, napi_default_method, NULL},
  };
  return napi_define_class(env, "LiveCapture", NAPI_AUTO_LENGTH, capture_new, NULL,
                           sizeof methods / sizeof methods[0], methods, constructor);
}
