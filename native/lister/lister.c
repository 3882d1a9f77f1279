/*
 * Tandem's folder lister: list(dir) reads a folder's names and lstats each child in one call
 * (fstatat on the open folder), where Node takes one readdirSync and one lstatSync per child.
 * Node's lstatSync costs about 5 us here, half of it building a Stats object; the syscall alone
 * about 2.4 us. See docs/ARCHITECTURE.md, "The folder lister".
 *
 * list(dir: Buffer) -> [names: Buffer, stats: Float64Array, flags: number, newest: number]
 *   names: each child's name as its exact bytes followed by a NUL, sorted bytewise (the order
 *          Node's readdirSync gives: libuv's scandir sorts with strcmp); "." and ".." left out
 *   stats: FIELDS numbers per child, in the same order: mode, nlink, size, blocks, mtime's
 *          seconds and nanoseconds, ctime's seconds and nanoseconds, ino, uid, gid, dev; or, where
 *          the child could not be lstatted, -errno in the first field and 0 in the others
 *   flags: what the folder holds that a listing must look at child by child (FLAG_*): a name
 *          with a byte above 0x7f, two names equal but for ASCII case, a child that could not be
 *          lstatted, one that is not a file, folder or link, a link, a file with other names
 *   newest: the latest child mtime in ms, computed as Node computes mtimeMs (-Infinity if none)
 * A folder with none of the first five flags is "plain" (walk.ts lists it without looking at its
 * files one by one).
 * A folder that cannot be opened or read throws an Error whose `code` is the errno's name, as
 * Node's fs does (ENOENT, EACCES, ENOTDIR...).
 *
 * syncfs(path: Buffer) -> undefined (Linux only: absent elsewhere)
 *   flushes every dirty page of the filesystem holding `path` (syncfs(2)), what `sync -f` does,
 *   without starting a process (15-20 ms from a Node process here); throws as list() does.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIELDS 12
/* What list() returns: JS checks it (nativeLister.ts), so a stale build is not read wrong. */
#define API 2

#define FLAG_NON_ASCII 1
#define FLAG_CASE_TWINS 2
#define FLAG_UNSTATTED 4
#define FLAG_SPECIAL 8
#define FLAG_SYMLINK 16
#define FLAG_LINKED 32

#ifdef __APPLE__
#define MTIME(st) ((st).st_mtimespec)
#define CTIME(st) ((st).st_ctimespec)
#else
#define MTIME(st) ((st).st_mtim)
#define CTIME(st) ((st).st_ctim)
#endif

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EOVERFLOW: return "EOVERFLOW";
    case ESTALE: return "ESTALE";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, int e, const char *what) {
  napi_value code, msg, err;
  char text[160];
  snprintf(text, sizeof text, "%s: %s, %s", errno_name(e), strerror(e), what);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &err);
  napi_value errnoValue;
  napi_create_int32(env, -e, &errnoValue);
  napi_set_named_property(env, err, "errno", errnoValue);
  napi_throw(env, err);
  return NULL;
}

static int by_bytes(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ASCII case folded by hand: strcasecmp follows the locale (a Turkish one folds I apart). */
static int ascii_nocase(const char *a, const char *b) {
  for (;; a++, b++) {
    int x = (unsigned char)*a, y = (unsigned char)*b;
    if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
    if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
    if (x != y || x == 0) return x - y;
  }
}

static int by_bytes_nocase(const void *a, const void *b) {
  return ascii_nocase(*(char *const *)a, *(char *const *)b);
}

/* Whether two of the (ASCII) names are equal but for case: sorted without case, twins meet. */
static int case_twins(char **sorted, size_t n) {
  char **copy = malloc(n * sizeof *copy);
  if (!copy) return 1; /* cannot tell: the listing looks at each name */
  memcpy(copy, sorted, n * sizeof *copy);
  qsort(copy, n, sizeof *copy, by_bytes_nocase);
  int twins = 0;
  for (size_t i = 1; i < n && !twins; i++) twins = ascii_nocase(copy[i - 1], copy[i]) == 0;
  free(copy);
  return twins;
}

struct names {
  char *bytes;   /* each name and its NUL */
  size_t len, cap;
  size_t *at;    /* where each name starts */
  size_t n, ncap;
};

static int add_name(struct names *s, const char *name) {
  size_t l = strlen(name) + 1;
  if (s->len + l > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 4096;
    while (cap < s->len + l) cap *= 2;
    char *b = realloc(s->bytes, cap);
    if (!b) return -1;
    s->bytes = b;
    s->cap = cap;
  }
  if (s->n == s->ncap) {
    size_t cap = s->ncap ? s->ncap * 2 : 256;
    size_t *a = realloc(s->at, cap * sizeof *a);
    if (!a) return -1;
    s->at = a;
    s->ncap = cap;
  }
  memcpy(s->bytes + s->len, name, l);
  s->at[s->n++] = s->len;
  s->len += l;
  return 0;
}

static char *path_arg(napi_env env, napi_callback_info info, const char *usage);

static napi_value List(napi_env env, napi_callback_info info) {
  char *path = path_arg(env, info, "list(dir: Buffer): the folder's path must be a Buffer");
  if (!path) return NULL;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(path);
  if (fd < 0) return throw_errno(env, errno, "opendir");
  DIR *dir = fdopendir(fd);
  if (!dir) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "opendir");
  }
  struct names s = {0};
  int failed = 0;
  for (;;) {
    errno = 0;
    struct dirent *d = readdir(dir);
    if (!d) {
      failed = errno;
      break;
    }
    const char *n = d->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    if (add_name(&s, n) != 0) {
      failed = ENOMEM;
      break;
    }
  }
  double *stats = NULL;
  char **sorted = NULL;
  if (!failed && s.n) {
    stats = calloc(s.n * FIELDS, sizeof *stats);
    sorted = malloc(s.n * sizeof *sorted);
    if (!stats || !sorted) failed = ENOMEM;
  }
  if (failed) {
    closedir(dir);
    free(s.bytes);
    free(s.at);
    free(stats);
    free(sorted);
    return throw_errno(env, failed, "readdir");
  }
  int flags = 0, upper = 0;
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.bytes[i];
    if (c > 0x7f) flags |= FLAG_NON_ASCII;
    else if (c >= 'A' && c <= 'Z') upper = 1;
  }
  for (size_t i = 0; i < s.n; i++) sorted[i] = s.bytes + s.at[i];
  qsort(sorted, s.n, sizeof *sorted, by_bytes);
  /* Without an upper-case letter, names that differ differ without case too. */
  if (upper && !(flags & FLAG_NON_ASCII) && case_twins(sorted, s.n)) flags |= FLAG_CASE_TWINS;
  double newest = -INFINITY;
  napi_value namesValue, statsBuffer, statsValue, out;
  void *dst = NULL;
  if (napi_create_buffer(env, s.len, &dst, &namesValue) != napi_ok) {
    closedir(dir);
    free(s.bytes);
    free(s.at);
    free(stats);
    free(sorted);
    return throw_errno(env, ENOMEM, "list");
  }
  char *w = dst;
  struct stat st;
  for (size_t i = 0; i < s.n; i++) {
    size_t l = strlen(sorted[i]) + 1;
    memcpy(w, sorted[i], l);
    w += l;
    double *r = stats + i * FIELDS;
    if (fstatat(fd, sorted[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
      r[0] = -(double)errno;
      flags |= FLAG_UNSTATTED;
      continue;
    }
    if (S_ISLNK(st.st_mode)) flags |= FLAG_SYMLINK;
    else if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1) flags |= FLAG_LINKED;
    } else if (!S_ISDIR(st.st_mode))
      flags |= FLAG_SPECIAL;
    /* As Node computes a Stats' mtimeMs from the same two numbers (and walk.ts from these). */
    double mtimeMs = (double)MTIME(st).tv_sec * 1e3 + (double)MTIME(st).tv_nsec / 1e6;
    if (mtimeMs > newest) newest = mtimeMs;
    r[0] = (double)st.st_mode;
    r[1] = (double)st.st_nlink;
    r[2] = (double)st.st_size;
    r[3] = (double)st.st_blocks;
    r[4] = (double)MTIME(st).tv_sec;
    r[5] = (double)MTIME(st).tv_nsec;
    r[6] = (double)CTIME(st).tv_sec;
    r[7] = (double)CTIME(st).tv_nsec;
    r[8] = (double)st.st_ino;
    r[9] = (double)st.st_uid;
    r[10] = (double)st.st_gid;
    r[11] = (double)st.st_dev;
  }
  closedir(dir);
  size_t bytes = s.n * FIELDS * sizeof(double);
  void *ab = NULL;
  napi_status made = napi_create_arraybuffer(env, bytes, &ab, &statsBuffer);
  if (made == napi_ok && bytes) memcpy(ab, stats, bytes);
  free(s.bytes);
  free(s.at);
  free(stats);
  free(sorted);
  if (made != napi_ok) return throw_errno(env, ENOMEM, "list");
  napi_create_typedarray(env, napi_float64_array, s.n * FIELDS, statsBuffer, 0, &statsValue);
  napi_value flagsValue, newestValue;
  napi_create_int32(env, flags, &flagsValue);
  napi_create_double(env, newest, &newestValue);
  napi_create_array_with_length(env, 4, &out);
  napi_set_element(env, out, 0, namesValue);
  napi_set_element(env, out, 1, statsValue);
  napi_set_element(env, out, 2, flagsValue);
  napi_set_element(env, out, 3, newestValue);
  return out;
}

/* A Buffer argument as a NUL-ended C string (malloc'd), or NULL with a TypeError thrown. */
static char *path_arg(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  bool isBuffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_buffer(env, argv[0], &isBuffer) != napi_ok || !isBuffer) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  void *data;
  size_t len;
  napi_get_buffer_info(env, argv[0], &data, &len);
  if (memchr(data, 0, len)) {
    napi_throw_type_error(env, NULL, "a path cannot hold a NUL byte");
    return NULL;
  }
  char *p = malloc(len + 1);
  if (!p) {
    throw_errno(env, ENOMEM, "path");
    return NULL;
  }
  memcpy(p, data, len);
  p[len] = 0;
  return p;
}

#ifdef __linux__
static napi_value Syncfs(napi_env env, napi_callback_info info) {
  char *path = path_arg(env, info, "syncfs(path: Buffer): the path must be a Buffer");
  if (!path) return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  free(path);
  if (fd < 0) return throw_errno(env, errno, "open");
  int r = syncfs(fd);
  int e = errno;
  close(fd);
  if (r != 0) return throw_errno(env, e, "syncfs");
  return NULL;
}
#endif

NAPI_MODULE_INIT() {
  napi_value fn, fields;
  napi_create_function(env, "list", NAPI_AUTO_LENGTH, List, NULL, &fn);
  napi_set_named_property(env, exports, "list", fn);
#ifdef __linux__
  napi_value sync;
  napi_create_function(env, "syncfs", NAPI_AUTO_LENGTH, Syncfs, NULL, &sync);
  napi_set_named_property(env, exports, "syncfs", sync);
#endif
  napi_create_int32(env, FIELDS, &fields);
  napi_set_named_property(env, exports, "FIELDS", fields);
  napi_value api;
  napi_create_int32(env, API, &api);
  napi_set_named_property(env, exports, "API", api);
  return exports;
}
