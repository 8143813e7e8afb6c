/* hfc.hub: one blob into the cache — locked, resumable, parallel, verified, atomic.
 *
 * Layout while downloading (next to the final blob, same volume, so rename is atomic):
 *   blobs/<etag>.incomplete         the data, pre-sized to the expected size
 *   blobs/<etag>.incomplete.parts   binary progress record: "HFCPART1", size, nseg, then
 *                                   per segment (start, end, done) as int64. `done` of a
 *                                   segment is rewritten in place only after its bytes are
 *                                   written, so a killed process leaves a record that never
 *                                   claims more than the file holds.
 * A resumed part is not trusted: its bytes are hashed again with the rest, and a digest
 * mismatch restarts the download from zero once before failing.
 *
 * Hashing follows the download: whichever writer finds its chunk at the hashed frontier
 * hashes it from memory; otherwise the bytes are read back (page cache) when the frontier
 * reaches them. One connection = purely inline hashing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hfc/hfc.h"
#include "hfc/hub.h"
#include "hub_internal.h"

#define PARTS_MAGIC "HFCPART1"
#define MAX_SEGS 64
#define PARTS_EVERY ((int64_t)1 << 20)
#define HASH_CHUNK ((size_t)1 << 20)
#define HASHER_MIN ((int64_t)4 << 20)
#define RESUME_MIN ((int64_t)1 << 20)  /* smaller files restart rather than resume across processes */ /* below this, hash inline on the writer */

/* ---- write-failure injection (tests) ---- */
static _Atomic long g_inject_nth = 0;
static _Atomic int g_inject_errno = 0;
void hfc_hub_inject_write_error(long nth, int err) {
    atomic_store(&g_inject_errno, err);
    atomic_store(&g_inject_nth, err ? nth : 0);
}
static ssize_t blob_pwrite(int fd, const void *p, size_t n, off_t off) {
    long k = atomic_load(&g_inject_nth);
    if (k > 0 && atomic_fetch_sub(&g_inject_nth, 1) == 1) {
        errno = atomic_load(&g_inject_errno);
        return -1;
    }
    return pwrite(fd, p, n, off);
}

int hfc_hub_default_connections(int64_t size) {
    const int64_t per = (int64_t)32 << 20;
    if (size < per) return 1;
    int64_t n = size / per;
    return n > 8 ? 8 : (int)n;
}

/* ---- hashing helpers ---- */

static void to_hex(const unsigned char *d, size_t n, char *out) {
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = 0;
}

static bool is_hex(const char *s, size_t n) {
    if (strlen(s) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

static hfc_status hash_file(const char *path, const EVP_MD *md, bool git, char *out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return hfc_fail_errno(errno, "%s", path);
    struct stat sb;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    char *buf = hfc_malloc(HASH_CHUNK);
    hfc_status st = HFC_OK;
    if (!ctx || !buf || !EVP_DigestInit_ex(ctx, md, NULL)) {
        st = hfc_fail(HFC_ERR_NOMEM, "%s: hash context", path);
        goto done;
    }
    if (fstat(fd, &sb) != 0) {
        st = hfc_fail_errno(errno, "%s", path);
        goto done;
    }
    if (git) {
        char hdr[64];
        int hn = snprintf(hdr, sizeof hdr, "blob %lld", (long long)sb.st_size);
        EVP_DigestUpdate(ctx, hdr, (size_t)hn + 1);
    }
    for (;;) {
        ssize_t r = read(fd, buf, HASH_CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            st = hfc_fail_errno(errno, "%s", path);
            goto done;
        }
        if (r == 0) break;
        EVP_DigestUpdate(ctx, buf, (size_t)r);
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    EVP_DigestFinal_ex(ctx, d, &dl);
    to_hex(d, dl, out);
done:
    EVP_MD_CTX_free(ctx);
    hfc_free(buf);
    close(fd);
    return st;
}

hfc_status hfc_hub_sha256_file(const char *path, char out[65]) {
    return hash_file(path, EVP_sha256(), false, out);
}
hfc_status hfc_hub_git_sha1_file(const char *path, char out[41]) {
    return hash_file(path, EVP_sha1(), true, out);
}

/* ---- paths ---- */

/* mkdir -p: one stat when the folder exists (the common case: once per file of a
 * snapshot), else create the missing tail, parents first. */
static hfc_status mkdirs_rec(char *p, int depth) {
    if (mkdir(p, 0777) == 0) return HFC_OK;
    int e = errno;
    struct stat sb;
    if (e == EEXIST) {
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) return HFC_OK;
        return hfc_fail_errno(ENOTDIR, "cannot create %s", p);
    }
    char *slash = strrchr(p, '/');
    if (e != ENOENT || !slash || slash == p || depth > 256) return hfc_fail_errno(e, "cannot create %s", p);
    *slash = 0;
    hfc_status st = mkdirs_rec(p, depth + 1);
    *slash = '/';
    if (st != HFC_OK) return st;
    if (mkdir(p, 0777) == 0 || (errno == EEXIST && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))) return HFC_OK;
    return hfc_fail_errno(errno, "cannot create %s", p);
}

hfc_status hfc_hub_mkdirs(const char *dir) {
    struct stat sb;
    if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) return HFC_OK;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    char *p = hfc_strndup(dir, n);
    if (!p) return hfc_fail(HFC_ERR_NOMEM, "mkdirs");
    hfc_status st = mkdirs_rec(p, 0);
    hfc_free(p);
    return st;
}

static char *dirname_dup(const char *path) {
    const char *s = strrchr(path, '/');
    if (!s) return hfc_strndup(".", 1);
    if (s == path) return hfc_strndup("/", 1);
    return hfc_strndup(path, (size_t)(s - path));
}

static char *path_cat(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    char *p = hfc_malloc(na + nb + 1);
    if (!p) return NULL;
    memcpy(p, a, na);
    memcpy(p + na, b, nb + 1);
    return p;
}

hfc_status hfc_hub_relpath(const char *to, const char *from_dir, char **out) {
    if (to[0] != '/' || from_dir[0] != '/')
        return hfc_fail(HFC_ERR_INVALID, "relpath needs absolute paths ('%s', '%s')", to, from_dir);
    /* common prefix by whole components */
    size_t i = 0, common = 0;
    while (to[i] && from_dir[i] && to[i] == from_dir[i]) {
        if (to[i] == '/') common = i;
        i++;
    }
    if ((to[i] == '/' || to[i] == 0) && from_dir[i] == 0) common = i;
    else if (to[i] == 0 && from_dir[i] == '/') common = i;
    hfc_buf b = {0};
    hfc_status st = HFC_OK;
    /* components of from_dir after common */
    for (const char *p = from_dir + common; *p && st == HFC_OK;) {
        while (*p == '/') p++;
        if (!*p) break;
        st = hfc_buf_append(&b, "../", 3);
        while (*p && *p != '/') p++;
    }
    const char *rest = to + common;
    while (*rest == '/') rest++;
    if (st == HFC_OK) st = hfc_buf_append(&b, rest, strlen(rest));
    if (st == HFC_OK && b.len == 0) st = hfc_buf_putc(&b, '.');
    if (st == HFC_OK && b.len > 1 && b.data[b.len - 1] == '/') b.data[--b.len] = 0;
    if (st != HFC_OK) {
        hfc_buf_free(&b);
        return st;
    }
    *out = b.data;
    return HFC_OK;
}

static hfc_status copy_file(const char *src, const char *dst) {
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return hfc_fail_errno(errno, "%s", src);
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (out < 0) {
        int e = errno;
        close(in);
        return hfc_fail_errno(e, "%s", dst);
    }
    char *buf = hfc_malloc(HASH_CHUNK);
    hfc_status st = buf ? HFC_OK : hfc_fail(HFC_ERR_NOMEM, "copy buffer");
    while (st == HFC_OK) {
        ssize_t r = read(in, buf, HASH_CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) st = hfc_fail_errno(errno, "%s", src);
        if (r <= 0) break;
        for (ssize_t w = 0; w < r && st == HFC_OK;) {
            ssize_t k = blob_pwrite(out, buf + w, (size_t)(r - w), lseek(out, 0, SEEK_CUR));
            if (k < 0) st = hfc_fail_errno(errno, "writing %s", dst);
            else {
                w += k;
                lseek(out, k, SEEK_CUR);
            }
        }
    }
    hfc_free(buf);
    close(in);
    if (close(out) != 0 && st == HFC_OK) st = hfc_fail_errno(errno, "%s", dst);
    return st;
}

static char *tmp_name(const char *path) {
    static _Atomic unsigned long ctr = 0;
    char suffix[64];
    snprintf(suffix, sizeof suffix, ".%d.%lu.hfctmp", (int)getpid(), atomic_fetch_add(&ctr, 1));
    return path_cat(path, suffix);
}

hfc_status hfc_hub_link_pointer(const char *blob_path, const char *pointer_path, bool copy,
                                bool move_blob) {
    char *dir = dirname_dup(pointer_path);
    char *tmp = tmp_name(pointer_path);
    char *rel = NULL;
    hfc_status st = (dir && tmp) ? HFC_OK : hfc_fail(HFC_ERR_NOMEM, "link pointer");
    if (st == HFC_OK) st = hfc_hub_mkdirs(dir);
    if (st == HFC_OK && !copy) {
        st = hfc_hub_relpath(blob_path, dir, &rel);
        if (st == HFC_OK && symlink(rel, tmp) != 0) st = hfc_fail_errno(errno, "symlink %s", pointer_path);
    } else if (st == HFC_OK && move_blob) {
        if (rename(blob_path, pointer_path) != 0) st = hfc_fail_errno(errno, "move %s", pointer_path);
        goto out;
    } else if (st == HFC_OK) {
        st = copy_file(blob_path, tmp);
    }
    if (st == HFC_OK && rename(tmp, pointer_path) != 0) st = hfc_fail_errno(errno, "%s", pointer_path);
    if (st != HFC_OK) unlink(tmp);
out:
    hfc_free(rel);
    hfc_free(dir);
    hfc_free(tmp);
    return st;
}

/* ---- the lock ---- */

static hfc_status lock_acquire(const char *path, int *out) {
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) return hfc_fail_errno(errno, "cannot open lock %s", path);
        int r;
        while ((r = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {}
        if (r != 0) {
            int e = errno;
            close(fd);
            return hfc_fail_errno(e, "cannot lock %s", path);
        }
        /* A holder that deletes its lock file on release (filelock can) leaves us locking
         * an unlinked inode: check we hold the file that is at the path now. */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            *out = fd;
            return HFC_OK;
        }
        close(fd);
    }
    return hfc_fail(HFC_ERR_IO, "cannot lock %s: it keeps being replaced", path);
}

/* ---- the download job ---- */

typedef struct seg {
    int64_t start, end;
    _Atomic int64_t done;
    int64_t parts_written; /* `done` last recorded in the parts file */
} seg;

typedef struct job {
    const hfc_hub_fetch *f;
    const char *inc_path, *parts_path;
    int fd, parts_fd;
    int nseg;
    seg segs[MAX_SEGS];
    int64_t size; /* -1: unknown (then nseg == 1) */
    /* verification */
    const EVP_MD *md_type;
    bool git;
    pthread_mutex_t hash_mu;
    EVP_MD_CTX *md;
    int64_t hashed;
    char *scratch;
    bool hash_io_err;
    bool hasher_on;          /* a dedicated hasher thread follows the writers */
    _Atomic int hasher_quit;
    /* outcome */
    _Atomic int stop;
    _Atomic int64_t received;
    pthread_mutex_t err_mu;
    long http_status;
    char *err_headers;
    /* progress */
    _Atomic int cancelled; /* the progress callback asked to stop */
    pthread_mutex_t prog_mu;
    _Atomic int64_t prog_pending;
    double prog_last;
} job;

static int64_t contiguous_end(job *j) {
    for (int i = 0; i < j->nseg; i++) {
        int64_t d = atomic_load(&j->segs[i].done);
        if (j->segs[i].start + d < j->segs[i].end) return j->segs[i].start + d;
    }
    return j->size;
}

/* Under hash_mu: hash read-back bytes up to the contiguous end, at most `budget`. */
static void hash_catch_up(job *j, int64_t budget) {
    int64_t avail = contiguous_end(j);
    while (j->hashed < avail && budget > 0 && !j->hash_io_err) {
        int64_t k = avail - j->hashed;
        if (k > (int64_t)HASH_CHUNK) k = HASH_CHUNK;
        ssize_t r = pread(j->fd, j->scratch, (size_t)k, j->hashed);
        if (r <= 0) {
            j->hash_io_err = true;
            break;
        }
        EVP_DigestUpdate(j->md, j->scratch, (size_t)r);
        j->hashed += r;
        budget -= r;
    }
}

static void hash_written(job *j, const char *p, int64_t pos, size_t n) {
    if (!j->md || j->hasher_on || pthread_mutex_trylock(&j->hash_mu) != 0) return;
    if (j->hashed == pos) {
        EVP_DigestUpdate(j->md, p, n);
        j->hashed += (int64_t)n;
    }
    hash_catch_up(j, (int64_t)8 << 20);
    pthread_mutex_unlock(&j->hash_mu);
}

/* The hasher thread: hashes the contiguous prefix as the writers extend it (reading it
 * back from the page cache), so hashing runs beside the receive path on another core. */
static void *hasher_main(void *arg) {
    job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->hash_mu);
        int64_t before = j->hashed;
        hash_catch_up(j, (int64_t)64 << 20);
        bool moved = j->hashed != before;
        bool done = j->hashed >= j->size || j->hash_io_err;
        pthread_mutex_unlock(&j->hash_mu);
        if (done || atomic_load(&j->hasher_quit)) break;
        if (!moved) hub_sleep(0.001);
    }
    return NULL;
}

static void progress_add(job *j, int64_t n, bool flush) {
    if (!j->f->progress) return;
    atomic_fetch_add(&j->prog_pending, n);
    double now = hub_now();
    if (!flush && now - j->prog_last < 0.1) return;
    if (flush) pthread_mutex_lock(&j->prog_mu);
    else if (pthread_mutex_trylock(&j->prog_mu) != 0) return;
    int64_t d = atomic_exchange(&j->prog_pending, 0);
    j->prog_last = now;
    if (j->f->progress(j->f->progress_ctx, d) != 0) {
        atomic_store(&j->cancelled, 1);
        atomic_store(&j->stop, 1);
    }
    pthread_mutex_unlock(&j->prog_mu);
}

static hfc_status job_stopped(job *j) {
    if (atomic_load(&j->cancelled)) return hfc_fail(HFC_ERR_STATE, "download of %s cancelled", j->f->url);
    return hfc_fail(HFC_ERR_IO, "download stopped by another failure");
}

static void parts_record(job *j, int i, bool force) {
    if (j->parts_fd < 0) return;
    seg *s = &j->segs[i];
    int64_t d = atomic_load(&s->done);
    if (!force && d - s->parts_written < PARTS_EVERY) return;
    off_t off = 8 + 8 + 8 + (off_t)i * 24 + 16;
    if (pwrite(j->parts_fd, &d, 8, off) == 8) s->parts_written = d;
}

static void job_record_http_error(job *j, const hfc_hub_response *r) {
    pthread_mutex_lock(&j->err_mu);
    if (!j->http_status) {
        j->http_status = r->status;
        j->err_headers = hfc_strndup(r->headers.data ? r->headers.data : "", r->headers.len);
    }
    pthread_mutex_unlock(&j->err_mu);
}

typedef struct segctx {
    job *j;
    int i;
    int64_t pos;  /* absolute offset of the next byte to write */
    int64_t skip; /* bytes to discard first (server ignored our Range) */
} segctx;

static hfc_status seg_begin(void *ud, long status, const char *hdrs, size_t hlen) {
    segctx *c = ud;
    job *j = c->j;
    c->skip = 0;
    if (status == 206) {
        size_t vl = 0;
        const char *v = hfc_hub_header_get(hdrs, hlen, "content-range", &vl);
        int64_t first, last, total;
        if (!v) return hfc_fail(HFC_ERR_IO, "GET %s: 206 without Content-Range", j->f->url);
        HFC_TRY_CTX(hfc_hub_parse_content_range(v, vl, &first, &last, &total), "GET %s: ", j->f->url);
        if (first != c->pos || (j->size >= 0 && total >= 0 && total != j->size))
            return hfc_fail(HFC_ERR_IO, "GET %s: asked for bytes from %lld of %lld, server sent '%.*s'",
                            j->f->url, (long long)c->pos, (long long)j->size, (int)(vl > 80 ? 80 : vl), v);
    } else {
        c->skip = c->pos; /* a 200 is the whole file from byte 0 */
    }
    return HFC_OK;
}

static hfc_status seg_data(void *ud, const char *p, size_t n, size_t *took) {
    segctx *c = ud;
    job *j = c->j;
    seg *s = &j->segs[c->i];
    if (atomic_load(&j->stop)) return job_stopped(j);
    size_t used = 0;
    if (c->skip > 0) {
        size_t k = (int64_t)n < c->skip ? n : (size_t)c->skip;
        c->skip -= (int64_t)k;
        used = k;
    }
    size_t avail = n - used;
    if (j->size >= 0 && c->pos + (int64_t)avail > s->end) avail = (size_t)(s->end - c->pos);
    const char *q = p + used;
    for (size_t w = 0; w < avail;) {
        ssize_t k = blob_pwrite(j->fd, q + w, avail - w, c->pos + (int64_t)w);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            int e = errno;
            atomic_store(&j->stop, 1);
            if (e == ENOSPC || e == EDQUOT)
                return hfc_fail_errno(e, "no space left on the device while writing %s (%lld bytes needed)",
                                      j->f->blob_path, (long long)j->size);
            return hfc_fail_errno(e, "writing %s", j->inc_path);
        }
        w += (size_t)k;
    }
    int64_t at = c->pos;
    c->pos += (int64_t)avail;
    atomic_store(&s->done, c->pos - s->start);
    atomic_fetch_add(&j->received, (int64_t)avail);
    hash_written(j, q, at, avail);
    parts_record(j, c->i, false);
    progress_add(j, (int64_t)avail, false);
    *took = used + avail;
    return HFC_OK;
}

static hfc_status run_segment(job *j, int i) {
    seg *s = &j->segs[i];
    const hfc_hub_fetch *f = j->f;
    int retries = f->http.retries < 0 ? 5 : f->http.retries;
    double wait0 = f->http.backoff > 0 ? f->http.backoff : 0.25, wait = wait0;
    int fails = 0;
    for (;;) {
        segctx c = {.j = j, .i = i, .pos = s->start + atomic_load(&s->done)};
        if (j->size >= 0 && c.pos >= s->end) {
            parts_record(j, i, true);
            return HFC_OK;
        }
        if (atomic_load(&j->stop)) return job_stopped(j);
        char range[80];
        const char *rp = NULL;
        if (j->size >= 0 && !(c.pos == 0 && s->end == j->size && j->nseg == 1 && j->size == 0)) {
            snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)c.pos, (long long)s->end - 1);
            rp = range;
        } else if (c.pos > 0) {
            snprintf(range, sizeof range, "bytes=%lld-", (long long)c.pos);
            rp = range;
        }
        if (j->size == 0) rp = NULL;
        hub_sink sink = {seg_begin, seg_data, &c};
        hub_exchange ex = {.method = "GET", .url = f->url, .opts = &f->http, .range = rp, .sink = &sink};
        hfc_hub_response r = {0};
        bool transport = false;
        int64_t before = atomic_load(&s->done);
        hfc_status st = hub_exchange_follow(&ex, &r, &transport);
        bool progressed = atomic_load(&s->done) > before;
        bool retry = false;
        if (st == HFC_OK && r.status >= 200 && r.status < 300) {
            if (j->size < 0) { /* unknown size: the body ended normally */
                j->size = c.pos;
                s->end = c.pos;
                hfc_hub_response_clear(&r);
                return HFC_OK;
            }
            if (c.pos >= s->end) {
                hfc_hub_response_clear(&r);
                parts_record(j, i, true);
                return HFC_OK;
            }
            retry = true; /* body ended early */
            hfc_fail(HFC_ERR_IO, "GET %s: connection closed after byte %lld of %lld", f->url,
                     (long long)c.pos, (long long)s->end);
        } else if (st == HFC_OK && hub_status_retryable(r.status)) {
            retry = true;
            if (!progressed && fails + 1 > retries) job_record_http_error(j, &r); /* giving up */
            hfc_fail(HFC_ERR_IO, "GET %s: HTTP %ld", f->url, r.status);
        } else if (st == HFC_OK) {
            job_record_http_error(j, &r);
            st = hfc_fail(HFC_ERR_IO, "GET %s: HTTP %ld", f->url, r.status);
        } else if (transport) {
            retry = true;
        }
        hfc_hub_response_clear(&r);
        if (!retry) {
            atomic_store(&j->stop, 1);
            return st != HFC_OK ? st : hfc_fail(HFC_ERR_IO, "GET %s failed", f->url);
        }
        if (progressed) {
            fails = 0;
            wait = wait0;
        } else if (++fails > retries) {
            atomic_store(&j->stop, 1);
            return hfc_error_prefix(HFC_ERR_IO, "after %d retries: ", retries);
        }
        parts_record(j, i, true);
        hfc_error_clear();
        hub_sleep(wait);
        wait = wait * 2 > 8 ? 8 : wait * 2;
    }
}

static hfc_status seg_task(void *ctx, size_t b, size_t e, int worker) {
    job *j = ctx;
    for (size_t i = b; i < e; i++) HFC_TRY(run_segment(j, (int)i));
    return HFC_OK;
}

/* Resume from a valid parts record, else start fresh. */
static hfc_status job_open(job *j, int nseg_want, bool *resumed) {
    *resumed = false;
    bool resumable = j->size >= RESUME_MIN; /* small files: no progress record, no fallocate */
    if (resumable) {
        int pfd = open(j->parts_path, O_RDWR | O_CLOEXEC);
        int dfd = pfd >= 0 ? open(j->inc_path, O_RDWR | O_CLOEXEC) : -1;
        struct stat sb;
        char hdr[24];
        int64_t size = -1, nseg = 0;
        if (pfd >= 0 && dfd >= 0 && fstat(dfd, &sb) == 0 && sb.st_size == j->size &&
            pread(pfd, hdr, 24, 0) == 24 && memcmp(hdr, PARTS_MAGIC, 8) == 0) {
            memcpy(&size, hdr + 8, 8);
            memcpy(&nseg, hdr + 16, 8);
        }
        bool ok = size == j->size && nseg >= 1 && nseg <= MAX_SEGS;
        int64_t rec[MAX_SEGS * 3];
        if (ok) ok = pread(pfd, rec, (size_t)nseg * 24, 24) == (ssize_t)(nseg * 24);
        for (int64_t i = 0; ok && i < nseg; i++) {
            int64_t st = rec[3 * i], en = rec[3 * i + 1], dn = rec[3 * i + 2];
            ok = st == (i ? rec[3 * (i - 1) + 1] : 0) && en >= st && dn >= 0 && dn <= en - st &&
                 (i != nseg - 1 || en == j->size);
        }
        if (ok) {
            j->nseg = (int)nseg;
            for (int i = 0; i < j->nseg; i++) {
                j->segs[i].start = rec[3 * i];
                j->segs[i].end = rec[3 * i + 1];
                atomic_store(&j->segs[i].done, rec[3 * i + 2]);
                j->segs[i].parts_written = rec[3 * i + 2];
            }
            j->fd = dfd;
            j->parts_fd = pfd;
            *resumed = true;
            return HFC_OK;
        }
        if (pfd >= 0) close(pfd);
        if (dfd >= 0) close(dfd);
    }
    /* fresh */
    j->fd = open(j->inc_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (j->fd < 0) return hfc_fail_errno(errno, "cannot create %s", j->inc_path);
    j->nseg = j->size > 0 ? nseg_want : 1;
    if (j->size >= 0 && j->nseg > j->size) j->nseg = j->size > 0 ? (int)j->size : 1;
    if (resumable) {
        if (fallocate(j->fd, 0, 0, j->size) != 0) {
            int e = errno;
            if (e == ENOSPC || e == EDQUOT)
                return hfc_fail_errno(e, "no space left on the device for %s (%lld bytes needed)",
                                      j->f->blob_path, (long long)j->size);
            if (ftruncate(j->fd, j->size) != 0) return hfc_fail_errno(errno, "%s", j->inc_path);
        }
    }
    int64_t per = j->size > 0 ? j->size / j->nseg : 0;
    for (int i = 0; i < j->nseg; i++) {
        j->segs[i].start = per * i;
        j->segs[i].end = i == j->nseg - 1 ? (j->size > 0 ? j->size : 0) : per * (i + 1);
        atomic_store(&j->segs[i].done, 0);
        j->segs[i].parts_written = 0;
    }
    if (resumable) {
        j->parts_fd = open(j->parts_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (j->parts_fd < 0) return hfc_fail_errno(errno, "cannot create %s", j->parts_path);
        char buf[24 + MAX_SEGS * 24];
        memcpy(buf, PARTS_MAGIC, 8);
        int64_t ns = j->nseg;
        memcpy(buf + 8, &j->size, 8);
        memcpy(buf + 16, &ns, 8);
        for (int i = 0; i < j->nseg; i++) {
            int64_t rec[3] = {j->segs[i].start, j->segs[i].end, 0};
            memcpy(buf + 24 + 24 * i, rec, 24);
        }
        size_t n = 24 + 24 * (size_t)j->nseg;
        if (pwrite(j->parts_fd, buf, n, 0) != (ssize_t)n) {
            int e = errno;
            if (e == ENOSPC || e == EDQUOT)
                return hfc_fail_errno(e, "no space left on the device for %s", j->f->blob_path);
            return hfc_fail_errno(e, "writing %s", j->parts_path);
        }
    }
    return HFC_OK;
}

static void job_close(job *j, bool remove_files) {
    if (j->fd >= 0) close(j->fd);
    if (j->parts_fd >= 0) close(j->parts_fd);
    j->fd = j->parts_fd = -1;
    if (remove_files) {
        unlink(j->inc_path);
        unlink(j->parts_path);
    }
}

/* One pass: open/resume, download all segments, verify. *mismatch set on a bad digest. */
static hfc_status job_run(job *j, int nseg_want, hfc_hub_fetch_result *res, bool *mismatch,
                          bool *had_resume) {
    *mismatch = false;
    bool resumed;
    HFC_TRY(job_open(j, nseg_want, &resumed));
    *had_resume = resumed;
    if (resumed) {
        int64_t have = 0;
        for (int i = 0; i < j->nseg; i++) have += atomic_load(&j->segs[i].done);
        res->resumed_from = have;
        progress_add(j, have, true);
    }
    res->connections = j->nseg;
    j->hashed = 0;
    j->hash_io_err = false;
    atomic_store(&j->stop, 0);
    bool late = j->md_type && j->git && j->size < 0; /* git id needs the size up front */
    if (j->md_type && !late) {
        if (!EVP_DigestInit_ex(j->md, j->md_type, NULL)) return hfc_fail(HFC_ERR_STATE, "EVP_DigestInit failed");
        if (j->git) {
            char hdr[64];
            int hn = snprintf(hdr, sizeof hdr, "blob %lld", (long long)j->size);
            EVP_DigestUpdate(j->md, hdr, (size_t)hn + 1);
        }
    }
    EVP_MD_CTX *md = j->md;
    if (!j->md_type || late) j->md = NULL;
    pthread_t hasher;
    j->hasher_on = false;
    atomic_store(&j->hasher_quit, 0);
    if (j->md && j->size >= HASHER_MIN && hfc_get_num_threads() > 1)
        j->hasher_on = pthread_create(&hasher, NULL, hasher_main, j) == 0;
    hfc_status st;
    if (j->nseg == 1) st = seg_task(j, 0, 1, 0);
    else st = hfc_parallel_for_max((size_t)j->nseg, 1, j->nseg, seg_task, j);
    if (j->hasher_on) {
        atomic_store(&j->hasher_quit, 1);
        pthread_join(hasher, NULL);
        j->hasher_on = false;
    }
    j->md = md;
    progress_add(j, 0, true);
    if (st != HFC_OK) return st;
    if (!j->md_type) return HFC_OK;
    char got[2 * EVP_MAX_MD_SIZE + 1];
    if (late) {
        HFC_TRY(hfc_hub_git_sha1_file(j->inc_path, got));
    } else {
        pthread_mutex_lock(&j->hash_mu);
        hash_catch_up(j, INT64_MAX);
        bool complete = j->hashed == j->size && !j->hash_io_err;
        pthread_mutex_unlock(&j->hash_mu);
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;
        EVP_DigestFinal_ex(j->md, d, &dl);
        to_hex(d, dl, got);
        if (!complete) got[0] = 0;
    }
    if (strcasecmp(got, j->f->etag) != 0) {
        *mismatch = true;
        return hfc_fail(HFC_ERR_IO, "%s mismatch for %s: expected %s, got %s; the download was discarded",
                        j->git ? "git SHA-1" : "SHA-256", j->f->url, j->f->etag, got[0] ? got : "(unreadable)");
    }
    return HFC_OK;
}

void hfc_hub_fetch_init(hfc_hub_fetch *f) {
    memset(f, 0, sizeof *f);
    f->size = -1;
    f->verify = true;
    f->http.retries = -1;
    f->http.redirects = 2;
}

void hfc_hub_fetch_result_clear(hfc_hub_fetch_result *r) {
    hfc_free(r->error_headers);
    memset(r, 0, sizeof *r);
}

static bool exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

hfc_status hfc_hub_fetch_blob(const hfc_hub_fetch *f, hfc_hub_fetch_result *res) {
    memset(res, 0, sizeof *res);
    if (!f->url || !f->blob_path || !f->etag)
        return hfc_fail(HFC_ERR_INVALID, "fetch needs url, blob_path and etag");
    const char *base = strrchr(f->blob_path, '/');
    base = base ? base + 1 : f->blob_path;
    if (hfc_hub_check_relpath(base, strlen(base)) != HFC_OK)
        return hfc_fail(HFC_ERR_INVALID, "unsafe blob name '%s'", base);
    char *dir = dirname_dup(f->blob_path);
    char *inc = path_cat(f->blob_path, ".incomplete");
    char *parts = path_cat(f->blob_path, ".incomplete.parts");
    char *ldir = f->lock_path ? dirname_dup(f->lock_path) : NULL;
    int lfd = -1;
    hfc_status st = (dir && inc && parts && (ldir || !f->lock_path)) ? HFC_OK
                                                                     : hfc_fail(HFC_ERR_NOMEM, "fetch");
    job j = {.f = f, .inc_path = inc, .parts_path = parts, .fd = -1, .parts_fd = -1, .size = f->size};
    pthread_mutex_init(&j.hash_mu, NULL);
    pthread_mutex_init(&j.err_mu, NULL);
    pthread_mutex_init(&j.prog_mu, NULL);
    if (st == HFC_OK) st = hfc_hub_mkdirs(dir);
    if (st == HFC_OK && ldir) st = hfc_hub_mkdirs(ldir);
    if (st == HFC_OK && f->lock_path) st = lock_acquire(f->lock_path, &lfd);
    if (st != HFC_OK) goto out;
    if (!f->force && exists(f->blob_path)) goto link;

    if (f->verify && is_hex(f->etag, 64)) j.md_type = EVP_sha256();
    else if (f->verify && is_hex(f->etag, 40)) {
        j.md_type = EVP_sha1();
        j.git = true;
    }
    j.md = EVP_MD_CTX_new();
    j.scratch = hfc_malloc(HASH_CHUNK);
    if (!j.md || !j.scratch) {
        st = hfc_fail(HFC_ERR_NOMEM, "fetch buffers");
        goto out;
    }
    int nseg = f->connections > 0 ? f->connections : hfc_hub_default_connections(f->size);
    if (nseg > MAX_SEGS) nseg = MAX_SEGS;
    if (f->size < 0) nseg = 1;
    for (int pass = 0;; pass++) {
        bool mismatch = false, had_resume = false;
        st = job_run(&j, nseg, res, &mismatch, &had_resume);
        res->bytes += atomic_exchange(&j.received, 0);
        if (st == HFC_OK) break;
        if (mismatch && pass == 0) { /* never trust a part: start over once */
            job_close(&j, true);
            res->restarts++;
            res->resumed_from = 0;
            j.size = f->size;
            hfc_error_clear();
            continue;
        }
        /* keep the part for a resume after a network failure; drop it otherwise */
        bool keep = !mismatch && !j.http_status && hfc_error_errno() != ENOSPC &&
                    hfc_error_errno() != EDQUOT && j.size >= 0 && f->size >= 0;
        job_close(&j, !keep);
        goto out;
    }
    job_close(&j, false);
    if (rename(inc, f->blob_path) != 0) {
        st = hfc_fail_errno(errno, "cannot move %s into place", inc);
        unlink(inc);
        unlink(parts);
        goto out;
    }
    if (j.size >= RESUME_MIN) unlink(parts);
    res->downloaded = true;
link:
    if (f->pointer_path) {
        struct stat sb;
        bool ok = !f->force && lstat(f->pointer_path, &sb) == 0 && stat(f->pointer_path, &sb) == 0;
        if (!ok) st = hfc_hub_link_pointer(f->blob_path, f->pointer_path, f->copy_pointer,
                                           f->copy_pointer && res->downloaded);
    }
out:
    if (j.http_status) {
        res->http_status = j.http_status;
        res->error_headers = j.err_headers;
        j.err_headers = NULL;
    }
    hfc_free(j.err_headers);
    EVP_MD_CTX_free(j.md);
    hfc_free(j.scratch);
    pthread_mutex_destroy(&j.hash_mu);
    pthread_mutex_destroy(&j.err_mu);
    pthread_mutex_destroy(&j.prog_mu);
    if (lfd >= 0) close(lfd); /* releases the flock */
    hfc_free(dir);
    hfc_free(inc);
    hfc_free(parts);
    hfc_free(ldir);
    return st;
}

/* ---- many ---- */

typedef struct many_ctx {
    const hfc_hub_fetch *items;
    hfc_hub_fetch_result *results;
    _Atomic long failed;
} many_ctx;

static hfc_status many_task(void *ctx, size_t b, size_t e, int worker) {
    many_ctx *m = ctx;
    for (size_t i = b; i < e; i++) {
        hfc_status st = hfc_hub_fetch_blob(&m->items[i], &m->results[i]);
        if (st != HFC_OK) {
            long want = -1;
            atomic_compare_exchange_strong(&m->failed, &want, (long)i);
            return hfc_error_prefix(st, "%s: ", m->items[i].pointer_path ? m->items[i].pointer_path
                                                                         : m->items[i].blob_path);
        }
    }
    return HFC_OK;
}

hfc_status hfc_hub_fetch_many(const hfc_hub_fetch *items, size_t n, int workers,
                              hfc_hub_fetch_result *results, long *failed) {
    many_ctx m = {.items = items, .results = results};
    atomic_store(&m.failed, -1);
    if (workers < 1) workers = 1;
    hfc_status st = n ? hfc_parallel_for_max(n, 1, workers, many_task, &m) : HFC_OK;
    *failed = atomic_load(&m.failed);
    return st;
}
