#include "errors.h"

#include <stdarg.h>
#include <stdio.h>

static napi_value make_error_v(napi_env env, const char *code, const char *fmt, va_list ap) {
  char message[2048];
  vsnprintf(message, sizeof message, fmt, ap);
  napi_value code_value, message_value, error;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value) != napi_ok ||
      napi_create_error(env, code_value, message_value, &error) != napi_ok) {
    return NULL;
  }
  return error;
}

napi_value make_error(napi_env env, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  napi_value error = make_error_v(env, code, fmt, ap);
  va_end(ap);
  return error;
}

napi_value throw_error(napi_env env, const char *code, const char *fmt, ...) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return NULL;
  va_list ap;
  va_start(ap, fmt);
  napi_value error = make_error_v(env, code, fmt, ap);
  va_end(ap);
  if (error != NULL) napi_throw(env, error);
  return NULL;
}

napi_value throw_napi_failure(napi_env env, napi_status status, const char *what) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  const char *reason = info != NULL && info->error_message != NULL ? info->error_message : "unknown";
  /* napi_pending_exception means JS already threw (e.g. a getter); keep that error. */
  return throw_error(env, CODE_INVALID_ARG, "%s failed: %s (status %d)", what, reason, (int)status);
}
