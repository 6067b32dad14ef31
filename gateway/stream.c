/* Server-streaming routes as NDJSON (application/x-ndjson, chunked, one message a line), never
 * buffering a whole stream. A producer thread per stream runs the gRPC stream into a bounded
 * buffer; the HTTP side waits for the first message (so a stream that fails at once is an
 * ordinary JSON error with its status), then answers 200 with a reader that takes what the
 * buffer holds and suspends the connection while it is empty; the producer resumes it. A full
 * buffer makes the producer wait, so a slow client slows the stream instead of growing memory.
 * Streams are rare (alliance exports): a thread each, bounded in number. */
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gateway/compress.h"
#include "gateway/gateway.h"
#include "gateway/json.h"

#define MAX_STREAMS 32
#define BUFFER_MAX (256 * 1024) /* bytes a stream may hold ahead of its client */
#define STREAM_TIMEOUT_MS 600000

static _Atomic int streams;

struct gw_stream {
  gw_request *r; /* until the answer is queued */
  gw_server *server;
  struct MHD_Connection *conn;
  vbp_client *client;
  const vbp_method *method;
  ProtobufCMessage *request; /* packed by the producer: owned by r's arena, which outlives it */
  vbp_call_options options;
  vbp_caller caller;
  char request_id[GW_REQUEST_ID_MAX + 1];
  pthread_mutex_t lock;
  pthread_cond_t room;
  char *buf;
  size_t len, off, cap;
  gw_gzip *gzip;        /* set when the client takes gzip: buf then holds the compressed stream */
  bool started;         /* the first message, or the end, has come */
  bool done;            /* the producer has finished */
  bool handler_waiting; /* the request is suspended until started */
  bool reader_waiting;  /* the reader suspended the connection until there is data */
  bool gone;            /* MHD is done with the response: stop */
  vbp_status status;
  int refs; /* the producer, and the request or response */
};

static void stream_unref(gw_stream *s) {
  pthread_mutex_lock(&s->lock);
  bool last = --s->refs == 0;
  pthread_mutex_unlock(&s->lock);
  if (!last) return;
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->room);
  gw_gzip_destroy(s->gzip);
  free(s->buf);
  free(s);
  atomic_fetch_sub(&streams, 1);
}

/* Under s->lock: what to resume once the lock is let go. */
typedef enum wake { WAKE_NONE, WAKE_HANDLER, WAKE_READER } wake;

static wake wake_up(gw_stream *s) {
  if (s->handler_waiting) {
    s->handler_waiting = false;
    return WAKE_HANDLER;
  }
  if (s->reader_waiting && !s->gone) {
    s->reader_waiting = false;
    return WAKE_READER;
  }
  return WAKE_NONE;
}

static void resume(gw_stream *s, wake w, gw_request *r) {
  if (w == WAKE_HANDLER) gw_resume(r);
  if (w == WAKE_READER) gw_resume_connection(s->server, s->conn);
}

static void append(gw_stream *s, const char *data, size_t n) {
  if (s->len + n > s->cap) {
    size_t cap = s->cap ? s->cap : 8192;
    while (cap < s->len + n) cap *= 2;
    char *grown = realloc(s->buf, cap);
    if (!grown) abort();
    s->buf = grown;
    s->cap = cap;
  }
  memcpy(s->buf + s->len, data, n);
  s->len += n;
}

static void emit(void *ctx, const char *bytes, size_t n) { append(ctx, bytes, n); }

/* Under s->lock: one NDJSON line into the buffer, as it is or compressed and flushed, so the
 * client can read it as soon as it has it. */
static void put_line(gw_stream *s, const char *json, size_t n) {
  if (!s->gzip) {
    append(s, json, n);
    append(s, "\n", 1);
    return;
  }
  gw_gzip_put(s->gzip, json, n, false, emit, s);
  gw_gzip_put(s->gzip, "\n", 1, true, emit, s);
}

static bool on_message(void *ctx, const ProtobufCMessage *message) {
  gw_stream *s = ctx;
  size_t n = 0;
  char *json = gw_message_to_json(message, &n);
  pthread_mutex_lock(&s->lock);
  while (!s->gone && s->len - s->off > BUFFER_MAX) pthread_cond_wait(&s->room, &s->lock);
  bool keep_going = !s->gone;
  gw_request *r = s->r;
  if (keep_going) {
    put_line(s, json, n);
    s->started = true;
  }
  wake w = wake_up(s);
  pthread_mutex_unlock(&s->lock);
  free(json);
  resume(s, w, r);
  return keep_going;
}

static void *produce(void *arg) {
  gw_stream *s = arg;
  vbp_status st = vbp_client_stream(s->client, s->method, s->request, &s->options, on_message, s);
  pthread_mutex_lock(&s->lock);
  if (!vbp_ok(&st) && s->started && !s->gone) {
    /* The 200 is already out: the failure travels as a last line the client can read. */
    json_t *line =
        json_pack("{s:{s:s,s:s}}", "error", "code", vbp_code_name(st.code), "message", st.message);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    /* A message jansson refuses (not UTF-8) must not cost the line: without it the download
     * would end as if whole but for the missing `end`. */
    if (!text) {
      json_decref(line);
      line = json_pack("{s:{s:s,s:s}}", "error", "code", vbp_code_name(st.code), "message",
                       "the stream failed");
      text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    }
    if (text) put_line(s, text, strlen(text));
    free(text);
    json_decref(line);
  }
  /* The gzip trailer, once something went out (a stream that failed at once is a JSON error). */
  if (s->gzip && s->started && !s->gone) gw_gzip_finish(s->gzip, emit, s);
  s->status = st;
  s->done = s->started = true;
  gw_request *r = s->r;
  wake w = wake_up(s);
  pthread_mutex_unlock(&s->lock);
  resume(s, w, r);
  stream_unref(s);
  return NULL;
}

void gw_stream_start(gw_request *r, vbp_client *client, const vbp_method *method) {
  if (atomic_fetch_add(&streams, 1) >= MAX_STREAMS) {
    atomic_fetch_sub(&streams, 1);
    vbp_status st = vbp_status_make(VBP_RESOURCE_EXHAUSTED, "too many streams at once; retry");
    gw_answer_error(r, &st);
    gw_resume(r);
    return;
  }
  gw_stream *s = vbp_xcalloc(1, sizeof *s);
  s->r = r;
  s->server = r->server;
  s->conn = r->conn;
  s->client = client;
  s->method = method;
  s->request = r->message;
  s->caller = r->caller;
  if (gw_accepts_gzip(gw_header(r, "Accept-Encoding"))) s->gzip = gw_gzip_create();
  memcpy(s->request_id, r->request_id, sizeof s->request_id);
  s->options = (vbp_call_options){
      .timeout_ms = r->timeout_ms > GW_DEFAULT_TIMEOUT_MS ? r->timeout_ms : STREAM_TIMEOUT_MS,
      .caller = &s->caller,
      .request_id = s->request_id};
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->room, NULL);
  s->refs = 2;
  s->handler_waiting = true;
  r->stream = s;
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&thread, &attr, produce, s) != 0) {
    s->refs = 1;
    s->done = s->started = true;
    s->handler_waiting = false;
    s->status = vbp_status_make(VBP_RESOURCE_EXHAUSTED, "no thread for the stream; retry");
    gw_resume(r);
  }
  pthread_attr_destroy(&attr);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  gw_stream *s = cls;
  pthread_mutex_lock(&s->lock);
  ssize_t n = 0;
  if (s->len > s->off) {
    size_t avail = s->len - s->off;
    n = (ssize_t)(avail < max ? avail : max);
    memcpy(buf, s->buf + s->off, (size_t)n);
    s->off += (size_t)n;
    if (s->off == s->len) s->off = s->len = 0;
    pthread_cond_signal(&s->room);
  } else if (s->done) {
    n = MHD_CONTENT_READER_END_OF_STREAM;
  } else {
    /* Nothing yet: park the connection until the producer has more. */
    s->reader_waiting = true;
    gw_suspend_connection(s->server, s->conn);
  }
  pthread_mutex_unlock(&s->lock);
  return n;
}

static void response_done(void *cls) {
  gw_stream *s = cls;
  pthread_mutex_lock(&s->lock);
  s->gone = true;
  pthread_cond_signal(&s->room);
  pthread_mutex_unlock(&s->lock);
  stream_unref(s);
}

bool gw_stream_respond(gw_request *r, int *mhd_result) {
  gw_stream *s = r->stream;
  pthread_mutex_lock(&s->lock);
  bool failed = s->done && !vbp_ok(&s->status) && s->len == 0;
  vbp_status status = s->status;
  s->r = NULL; /* from here on the response holds the request's reference */
  pthread_mutex_unlock(&s->lock);
  r->stream = NULL;
  if (failed) {
    gw_answer_error(r, &status);
    stream_unref(s);
    return false;
  }
  struct MHD_Response *response =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, read_stream, s, response_done);
  MHD_add_response_header(response, "Content-Type", "application/x-ndjson");
  MHD_add_response_header(response, "X-Request-Id", r->request_id);
  r->content_encoding = s->gzip ? "gzip" : NULL;
  r->vary_encoding = true;
  gw_response_headers(r, response);
  *mhd_result = MHD_queue_response(r->conn, 200, response);
  MHD_destroy_response(response);
  gw_answer(r, 200, VBP_OK, NULL, 0, "application/x-ndjson");
  return true;
}

void gw_stream_abandon(gw_request *r) {
  gw_stream *s = r->stream;
  if (!s) return;
  r->stream = NULL;
  pthread_mutex_lock(&s->lock);
  s->r = NULL;
  s->gone = true;
  s->handler_waiting = false;
  pthread_cond_signal(&s->room);
  pthread_mutex_unlock(&s->lock);
  stream_unref(s);
}
