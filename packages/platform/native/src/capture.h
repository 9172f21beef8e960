#ifndef HEIMDAL_CAPTURE_H
#define HEIMDAL_CAPTURE_H

#include <node_api.h>

/* Defines the LiveCapture class (see capture.c for its JS surface). */
napi_status define_live_capture(napi_env env, napi_value *constructor);

#endif
