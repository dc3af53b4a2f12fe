{
  "targets": [
    {
      "target_name": "udp_batch",
      "sources": ["src/udp_batch.cc"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-fno-exceptions"],
      "conditions": [["OS!='linux'", {"type": "none", "sources": []}]]
    }
  ]
}
