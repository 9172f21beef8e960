{
  "targets": [
    {
      "target_name": "heimdal_pcap",
      "sources": [
        "src/binding.c",
        "src/errors.c",
        "src/interfaces.c",
        "src/capture.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lpcap"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
