// Batched UDP I/O for the DNS listener: one socket, recvmmsg/sendmmsg, driven by a uv_poll on the
// fd. Node's dgram costs a syscall, a libuv request and several JS objects per datagram; here one
// wake-up reads up to `batch` datagrams with one syscall, hands them to JS in one call (shared
// buffers, no per-datagram allocation on this side) and sends every answer with one more syscall.
//
// Shared memory, allocated once per socket as ArrayBuffers that JS views:
//   recv: batch slots of recvSlot bytes (query i at i * recvSlot)
//   send: batch slots of sendSlot bytes (JS writes answer i at i * sendSlot)
//   meta: Int32Array, kMetaInts per slot: received length (-1 = truncated, skip), answer length
//         (JS sets it; 0 = no answer), address family (4, 6, or 5 = IPv4-mapped IPv6, what a
//         dual-stack "::" socket sees from IPv4 clients), source port, address as 4 words (IPv4 and
//         mapped: word 0 only), big-endian order, so JS can key a cache without making a string.
// The source sockaddr stays here and is reused as the destination of the answer in the same slot.
//
// Plain Node-API (C), not node-addon-api: the surface is five functions and ABI-stable N-API
// means one build works on every Node >= the NAPI_VERSION in binding.gyp.
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr int kMetaInts = 8;
enum Meta { kRecvLen = 0, kSendLen = 1, kFamily = 2, kPort = 3, kAddr = 4 };
// A wake-up drains at most this many batches, then yields to the rest of the loop (TCP, timers,
// the control plane); the poll is level-triggered, so what is left wakes it again at once.
constexpr int kMaxBatchesPerWake = 8;
constexpr int kSocketBufferBytes = 4 * 1024 * 1024;

struct Socket {
  napi_env env = nullptr;
  uv_poll_t poll;
  int fd = -1;
  bool closed = false;
  int owners = 2;  // the JS wrapper's finalizer and the uv close callback; freed when both are done
  unsigned batch = 0, recvSlot = 0, sendSlot = 0;
  uint8_t* recv = nullptr;
  uint8_t* send = nullptr;
  int32_t* meta = nullptr;
  mmsghdr* rmsgs = nullptr;
  iovec* riov = nullptr;
  sockaddr_storage* addrs = nullptr;
  mmsghdr* smsgs = nullptr;
  iovec* siov = nullptr;
  napi_ref self = nullptr;  // strong while open: keeps the handle, its buffers and the callback alive
  napi_ref onBatch = nullptr;
  napi_async_context async = nullptr;
  double batches = 0, datagrams = 0, truncated = 0, sent = 0, sendDropped = 0, sendErrors = 0, largestBatch = 0;
};

void Release(Socket* s) {
  if (--s->owners > 0) return;
  free(s->rmsgs);
  free(s->riov);
  free(s->addrs);
  free(s->smsgs);
  free(s->siov);
  delete s;
}

napi_value ThrowErrno(napi_env env, int err, const char* syscall, const char* host, unsigned port) {
  const char* code = uv_err_name(-err);
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s %s:%u", syscall, code, host, port);
  napi_value codeValue, msgValue, error;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codeValue);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &msgValue);
  napi_create_error(env, codeValue, msgValue, &error);
  napi_throw(env, error);
  return nullptr;
}

void FillMeta(Socket* s, unsigned i, int len) {
  int32_t* m = s->meta + i * kMetaInts;
  m[kRecvLen] = len;
  m[kSendLen] = 0;
  const sockaddr_storage* a = &s->addrs[i];
  if (a->ss_family == AF_INET) {
    const sockaddr_in* in = reinterpret_cast<const sockaddr_in*>(a);
    m[kFamily] = 4;
    m[kPort] = ntohs(in->sin_port);
    m[kAddr] = static_cast<int32_t>(ntohl(in->sin_addr.s_addr));
    m[kAddr + 1] = m[kAddr + 2] = m[kAddr + 3] = 0;
  } else {
    const sockaddr_in6* in6 = reinterpret_cast<const sockaddr_in6*>(a);
    m[kPort] = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      uint32_t v4;
      memcpy(&v4, in6->sin6_addr.s6_addr + 12, 4);
      m[kFamily] = 5;
      m[kAddr] = static_cast<int32_t>(ntohl(v4));
      m[kAddr + 1] = m[kAddr + 2] = m[kAddr + 3] = 0;
      return;
    }
    m[kFamily] = 6;
    for (int w = 0; w < 4; w++) {
      uint32_t word;
      memcpy(&word, in6->sin6_addr.s6_addr + 4 * w, 4);
      m[kAddr + w] = static_cast<int32_t>(ntohl(word));
    }
  }
}

void SendAnswers(Socket* s, unsigned n) {
  unsigned k = 0;
  for (unsigned i = 0; i < n; i++) {
    int32_t len = s->meta[i * kMetaInts + kSendLen];
    if (len <= 0 || static_cast<unsigned>(len) > s->sendSlot) continue;
    s->siov[i].iov_len = len;
    msghdr* h = &s->smsgs[k++].msg_hdr;
    h->msg_name = &s->addrs[i];
    h->msg_namelen = s->rmsgs[i].msg_hdr.msg_namelen;
    h->msg_iov = &s->siov[i];
    h->msg_iovlen = 1;
    h->msg_control = nullptr;
    h->msg_controllen = 0;
    h->msg_flags = 0;
  }
  unsigned done = 0;
  while (done < k) {
    int r = sendmmsg(s->fd, s->smsgs + done, k - done, MSG_DONTWAIT);
    if (r > 0) {
      s->sent += r;
      done += r;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      // Send buffer full: drop the rest, as the kernel drops what does not fit a receive queue.
      // Waiting for POLLOUT would stall every later query behind a slow interface.
      s->sendDropped += k - done;
      return;
    } else {
      // This one message failed (e.g. an address the route table rejects): skip it.
      s->sendErrors++;
      done++;
    }
  }
}

// Returns false when JS threw or closed the socket: stop this wake-up.
bool DeliverBatch(Socket* s, unsigned n) {
  napi_env env = s->env;
  napi_value fn, recv, argv[1], result;
  napi_get_reference_value(env, s->onBatch, &fn);
  napi_get_reference_value(env, s->self, &recv);
  napi_create_uint32(env, n, &argv[0]);
  napi_status status = napi_make_callback(env, s->async, recv, fn, 1, argv, &result);
  if (status != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);  // the process's uncaughtException, as for any callback
    }
    return false;
  }
  return !s->closed;
}

void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  Socket* s = static_cast<Socket*>(handle->data);
  if (s->closed || status < 0) return;
  napi_handle_scope scope;
  napi_open_handle_scope(s->env, &scope);
  for (int round = 0; round < kMaxBatchesPerWake && !s->closed; round++) {
    for (unsigned i = 0; i < s->batch; i++) {
      s->rmsgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      s->rmsgs[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(s->fd, s->rmsgs, s->batch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;  // EAGAIN: drained. Other errors have no datagram to answer either.
    for (int i = 0; i < n; i++) {
      bool cut = (s->rmsgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      if (cut) s->truncated++;
      FillMeta(s, i, cut ? -1 : static_cast<int>(s->rmsgs[i].msg_len));
    }
    s->batches++;
    s->datagrams += n;
    if (n > s->largestBatch) s->largestBatch = n;
    if (!DeliverBatch(s, n)) break;
    SendAnswers(s, n);
    if (static_cast<unsigned>(n) < s->batch) break;
  }
  napi_close_handle_scope(s->env, scope);
}

void OnClosed(uv_handle_t* handle) { Release(static_cast<Socket*>(handle->data)); }

void CloseSocket(Socket* s, bool dropRefs) {
  if (s->closed) return;
  s->closed = true;
  uv_poll_stop(&s->poll);  // libuv: stop polling before the fd is closed
  close(s->fd);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->poll), OnClosed);
  if (dropRefs) {
    napi_delete_reference(s->env, s->self);
    napi_delete_reference(s->env, s->onBatch);
    napi_async_destroy(s->env, s->async);
  }
}

void OnEnvCleanup(void* data) { CloseSocket(static_cast<Socket*>(data), false); }  // worker exit

void OnFinalize(napi_env /*env*/, void* data, void* /*hint*/) { Release(static_cast<Socket*>(data)); }

napi_value NewArrayBuffer(napi_env env, size_t bytes, void** data) {
  napi_value ab;
  napi_create_arraybuffer(env, bytes, data, &ab);
  memset(*data, 0, bytes);
  return ab;
}

void SetNamed(napi_env env, napi_value obj, const char* name, napi_value value) {
  napi_set_named_property(env, obj, name, value);
}

// The socket handle passed as argument 0 of close/addressString/stats (and argument 1 if asked for);
// nullptr, with a TypeError pending, when it is not one.
Socket* SocketArg(napi_env env, napi_callback_info info, napi_value* second = nullptr) {
  size_t argc = 2;
  napi_value argv[2];
  void* data = nullptr;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < (second ? 2u : 1u) || napi_unwrap(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, nullptr, "expected a udp-batch socket handle");
    return nullptr;
  }
  if (second) *second = argv[1];
  return static_cast<Socket*>(data);
}

// open(host, port, reusePort, batch, recvSlot, sendSlot, onBatch) -> handle
// handle: { port, recv, send, meta }; onBatch(count) is called with `this` = handle.
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 7) {
    napi_throw_type_error(env, nullptr, "open(host, port, reusePort, batch, recvSlot, sendSlot, onBatch)");
    return nullptr;
  }
  char host[INET6_ADDRSTRLEN + 1] = {0};
  size_t hostLen = 0;
  uint32_t port = 0, batch = 0, recvSlot = 0, sendSlot = 0;
  bool reusePort = false;
  if (napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hostLen) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &port) != napi_ok || napi_get_value_bool(env, argv[2], &reusePort) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &batch) != napi_ok || napi_get_value_uint32(env, argv[4], &recvSlot) != napi_ok ||
      napi_get_value_uint32(env, argv[5], &sendSlot) != napi_ok || port > 65535 || batch == 0 || batch > 1024 ||
      recvSlot < 12 || recvSlot > 65536 || sendSlot < 12 || sendSlot > 65536) {
    napi_throw_type_error(env, nullptr, "udp-batch open: bad arguments");
    return nullptr;
  }
  napi_valuetype fnType;
  napi_typeof(env, argv[6], &fnType);
  if (fnType != napi_function) {
    napi_throw_type_error(env, nullptr, "udp-batch open: onBatch must be a function");
    return nullptr;
  }

  sockaddr_storage bindAddr;
  memset(&bindAddr, 0, sizeof bindAddr);
  socklen_t bindLen;
  int family;
  sockaddr_in* in4 = reinterpret_cast<sockaddr_in*>(&bindAddr);
  sockaddr_in6* in6 = reinterpret_cast<sockaddr_in6*>(&bindAddr);
  if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
    family = in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    bindLen = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
    family = in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    bindLen = sizeof(sockaddr_in6);
  } else {
    return ThrowErrno(env, EINVAL, "bind", host, port);  // names and scoped addresses: the JS path
  }

  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(env, errno, "socket", host, port);
  int one = 1, zero = 0, size = kSocketBufferBytes;
  // The same options the dgram path sets: reuseAddr, optional reusePort, dual-stack for "::".
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reusePort && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, err, "setsockopt SO_REUSEPORT", host, port);
  }
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  // Kernel caps (net.core.rmem_max) may refuse: the defaults still work.
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (bind(fd, reinterpret_cast<sockaddr*>(&bindAddr), bindLen) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, err, "bind", host, port);
  }
  sockaddr_storage bound;
  socklen_t boundLen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &boundLen);
  unsigned boundPort = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                               : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);

  Socket* s = new Socket();
  s->env = env;
  s->fd = fd;
  s->batch = batch;
  s->recvSlot = recvSlot;
  s->sendSlot = sendSlot;
  s->rmsgs = static_cast<mmsghdr*>(calloc(batch, sizeof(mmsghdr)));
  s->riov = static_cast<iovec*>(calloc(batch, sizeof(iovec)));
  s->addrs = static_cast<sockaddr_storage*>(calloc(batch, sizeof(sockaddr_storage)));
  s->smsgs = static_cast<mmsghdr*>(calloc(batch, sizeof(mmsghdr)));
  s->siov = static_cast<iovec*>(calloc(batch, sizeof(iovec)));

  napi_value handle, recvAb, sendAb, metaAb, portValue;
  napi_create_object(env, &handle);
  void* data;
  recvAb = NewArrayBuffer(env, size_t(batch) * recvSlot, &data);
  s->recv = static_cast<uint8_t*>(data);
  sendAb = NewArrayBuffer(env, size_t(batch) * sendSlot, &data);
  s->send = static_cast<uint8_t*>(data);
  metaAb = NewArrayBuffer(env, size_t(batch) * kMetaInts * sizeof(int32_t), &data);
  s->meta = static_cast<int32_t*>(data);
  for (unsigned i = 0; i < batch; i++) {
    s->riov[i].iov_base = s->recv + size_t(i) * recvSlot;
    s->riov[i].iov_len = recvSlot;
    s->rmsgs[i].msg_hdr.msg_name = &s->addrs[i];
    s->rmsgs[i].msg_hdr.msg_iov = &s->riov[i];
    s->rmsgs[i].msg_hdr.msg_iovlen = 1;
    s->siov[i].iov_base = s->send + size_t(i) * sendSlot;
  }
  napi_create_uint32(env, boundPort, &portValue);
  SetNamed(env, handle, "port", portValue);
  SetNamed(env, handle, "recv", recvAb);
  SetNamed(env, handle, "send", sendAb);
  SetNamed(env, handle, "meta", metaAb);
  napi_wrap(env, handle, s, OnFinalize, nullptr, nullptr);
  napi_create_reference(env, handle, 1, &s->self);
  napi_create_reference(env, argv[6], 1, &s->onBatch);
  napi_value resourceName;
  napi_create_string_utf8(env, "OpenGSLB.UdpBatch", NAPI_AUTO_LENGTH, &resourceName);
  napi_async_init(env, handle, resourceName, &s->async);

  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init_socket(loop, &s->poll, fd);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, OnReadable);
  napi_add_env_cleanup_hook(env, OnEnvCleanup, s);
  return handle;
}

napi_value Close(napi_env env, napi_callback_info info) {
  Socket* s = SocketArg(env, info);
  if (s == nullptr || s->closed) return nullptr;
  napi_remove_env_cleanup_hook(env, OnEnvCleanup, s);
  CloseSocket(s, true);
  return nullptr;
}

// addressString(handle, slot): the source address of datagram `slot` of the current batch, as
// inet_ntop writes it (what dgram's rinfo.address says). Only meaningful inside onBatch.
napi_value AddressString(napi_env env, napi_callback_info info) {
  napi_value slotValue;
  Socket* s = SocketArg(env, info, &slotValue);
  uint32_t slot = 0;
  if (s == nullptr || napi_get_value_uint32(env, slotValue, &slot) != napi_ok || slot >= s->batch) return nullptr;
  char text[INET6_ADDRSTRLEN] = "";
  const sockaddr_storage* a = &s->addrs[slot];
  if (a->ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, text, sizeof text);
  else if (a->ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, text, sizeof text);
  napi_value result;
  napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &result);
  return result;
}

napi_value Stats(napi_env env, napi_callback_info info) {
  Socket* s = SocketArg(env, info);
  if (s == nullptr) return nullptr;
  napi_value out, v;
  napi_create_object(env, &out);
  const struct { const char* name; double value; } fields[] = {
      {"batches", s->batches},         {"datagrams", s->datagrams},   {"truncated", s->truncated},
      {"sent", s->sent},               {"sendDropped", s->sendDropped}, {"sendErrors", s->sendErrors},
      {"largestBatch", s->largestBatch},
  };
  for (const auto& f : fields) {
    napi_create_double(env, f.value, &v);
    SetNamed(env, out, f.name, v);
  }
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor methods[] = {
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addressString", nullptr, AddressString, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
