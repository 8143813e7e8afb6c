/* hfc.hub parsers: pure functions over bytes a server sent (fuzzed by fuzz_http.c). */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "hfc/hub.h"
#include "hfc/json.h"

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static bool is_ws(char c) { return c == ' ' || c == '\t'; }

const char *hfc_hub_header_get(const char *hdrs, size_t len, const char *name, size_t *vlen) {
    size_t nlen = strlen(name);
    const char *found = NULL;
    size_t flen = 0;
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && hdrs[e] != '\n') e++;
        size_t le = e;                          /* line [i, le) */
        if (le > i && hdrs[le - 1] == '\r') le--;
        if (le - i > nlen && hdrs[i + nlen] == ':') {
            bool eq = true;
            for (size_t k = 0; k < nlen && eq; k++)
                eq = lower((unsigned char)hdrs[i + k]) == lower((unsigned char)name[k]);
            if (eq) {
                size_t vs = i + nlen + 1, ve = le;
                while (vs < ve && is_ws(hdrs[vs])) vs++;
                while (ve > vs && is_ws(hdrs[ve - 1])) ve--;
                found = hdrs + vs;
                flen = ve - vs;
            }
        } else if (le - i >= 5 && memcmp(hdrs + i, "HTTP/", 5) == 0) {
            found = NULL; /* a new response (after 1xx / a redirect) starts over */
        }
        i = e + 1;
    }
    if (found && vlen) *vlen = flen;
    return found;
}

/* Link: <url1>; rel="prev", <url2>; rel="next" */
const char *hfc_hub_link_next(const char *link, size_t len, size_t *ulen) {
    size_t i = 0;
    while (i < len) {
        while (i < len && (is_ws(link[i]) || link[i] == ',')) i++;
        if (i >= len || link[i] != '<') return NULL;
        size_t us = ++i;
        while (i < len && link[i] != '>') i++;
        if (i >= len) return NULL;
        size_t ue = i++;
        /* parameters up to the next ',' outside quotes */
        bool next = false;
        while (i < len && link[i] != ',') {
            while (i < len && (is_ws(link[i]) || link[i] == ';')) i++;
            size_t ps = i;
            while (i < len && link[i] != '=' && link[i] != ';' && link[i] != ',') i++;
            size_t pe = i;
            while (pe > ps && is_ws(link[pe - 1])) pe--;
            if (i < len && link[i] == '=') {
                i++;
                while (i < len && is_ws(link[i])) i++;
                size_t vs, ve;
                if (i < len && link[i] == '"') {
                    vs = ++i;
                    while (i < len && link[i] != '"') i++;
                    ve = i;
                    if (i < len) i++;
                } else {
                    vs = i;
                    while (i < len && link[i] != ';' && link[i] != ',' && !is_ws(link[i])) i++;
                    ve = i;
                }
                if (pe - ps == 3 && lower(link[ps]) == 'r' && lower(link[ps + 1]) == 'e' &&
                    lower(link[ps + 2]) == 'l') {
                    /* rel may hold several space-separated types */
                    size_t k = vs;
                    while (k < ve) {
                        while (k < ve && link[k] == ' ') k++;
                        size_t ts = k;
                        while (k < ve && link[k] != ' ') k++;
                        if (k - ts == 4 && lower(link[ts]) == 'n' && lower(link[ts + 1]) == 'e' &&
                            lower(link[ts + 2]) == 'x' && lower(link[ts + 3]) == 't')
                            next = true;
                    }
                }
            } else if (i < len && link[i] != ',') {
                i++;
            }
        }
        if (next && ue > us) {
            if (ulen) *ulen = ue - us;
            return link + us;
        }
    }
    return NULL;
}

static bool parse_i64(const char *s, size_t n, int64_t *out) {
    if (n == 0 || n > 18) return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

hfc_status hfc_hub_parse_content_range(const char *v, size_t len, int64_t *first, int64_t *last,
                                       int64_t *total) {
    size_t i = 0;
    while (i < len && is_ws(v[i])) i++;
    if (len - i < 6 || strncasecmp(v + i, "bytes", 5) != 0 || !is_ws(v[i + 5]))
        return hfc_fail(HFC_ERR_INVALID, "Content-Range '%.*s': expected 'bytes A-B/T'",
                        (int)(len > 80 ? 80 : len), v);
    i += 6;
    while (i < len && is_ws(v[i])) i++;
    size_t a = i;
    while (i < len && v[i] != '-') i++;
    size_t b = i + 1;
    size_t j = b;
    while (j < len && v[j] != '/') j++;
    size_t t = j + 1;
    size_t te = len;
    while (te > t && is_ws(v[te - 1])) te--;
    int64_t f, l, tot = -1;
    if (i >= len || j >= len || !parse_i64(v + a, i - a, &f) || !parse_i64(v + b, j - b, &l) ||
        l < f || (!(te - t == 1 && v[t] == '*') && (!parse_i64(v + t, te - t, &tot) || l >= tot)))
        return hfc_fail(HFC_ERR_INVALID, "Content-Range '%.*s': expected 'bytes A-B/T'",
                        (int)(len > 80 ? 80 : len), v);
    *first = f;
    *last = l;
    *total = tot;
    return HFC_OK;
}

hfc_status hfc_hub_normalize_etag(const char *v, size_t len, char *out, size_t cap) {
    size_t s = 0, e = len;
    while (s < e && (v[s] == 'W' || v[s] == '/')) s++; /* str.lstrip("W/") */
    while (s < e && v[s] == '"') s++;
    while (e > s && v[e - 1] == '"') e--;
    if (e == s) return hfc_fail(HFC_ERR_INVALID, "empty ETag from server");
    if (e - s >= cap) return hfc_fail(HFC_ERR_INVALID, "ETag from server too long (%zu bytes)", e - s);
    for (size_t i = s; i < e; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return hfc_fail(HFC_ERR_INVALID, "ETag from server is not a safe file name: '%.*s'",
                            (int)(e - s > 80 ? 80 : e - s), v + s);
    }
    if ((e - s == 1 && v[s] == '.') || (e - s == 2 && v[s] == '.' && v[s + 1] == '.'))
        return hfc_fail(HFC_ERR_INVALID, "ETag from server is not a safe file name");
    memcpy(out, v + s, e - s);
    out[e - s] = 0;
    return HFC_OK;
}

/* Split an absolute URL: scheme end, authority [hs, he). */
static bool url_split(const char *url, size_t *scheme_len, size_t *hs, size_t *he) {
    size_t n = strlen(url);
    size_t sl;
    if (n >= 7 && strncasecmp(url, "http://", 7) == 0) sl = 4;
    else if (n >= 8 && strncasecmp(url, "https://", 8) == 0) sl = 5;
    else return false;
    size_t s = sl + 3, e = s;
    while (e < n && url[e] != '/' && url[e] != '?' && url[e] != '#') e++;
    if (e == s) return false;
    *scheme_len = sl;
    *hs = s;
    *he = e;
    return true;
}

hfc_status hfc_hub_url_origin(const char *url, char *out, size_t cap) {
    size_t sl, hs, he;
    if (!url_split(url, &sl, &hs, &he))
        return hfc_fail(HFC_ERR_INVALID, "not an absolute http(s) URL: '%.200s'", url);
    /* drop userinfo */
    for (size_t k = hs; k < he; k++)
        if (url[k] == '@') hs = k + 1;
    size_t pe = he; /* port? (not inside [ipv6]) */
    size_t colon = 0;
    for (size_t k = he; k > hs; k--) {
        if (url[k - 1] == ']') break;
        if (url[k - 1] == ':') { colon = k - 1; break; }
    }
    bool https = sl == 5;
    if ((colon ? colon : he) == hs)
        return hfc_fail(HFC_ERR_INVALID, "not an absolute http(s) URL (no host): '%.200s'", url);
    if (colon) {
        const char *p = url + colon + 1;
        size_t plen = he - colon - 1;
        if (plen == 0 || (https && plen == 3 && memcmp(p, "443", 3) == 0) ||
            (!https && plen == 2 && memcmp(p, "80", 2) == 0))
            pe = colon;
    }
    size_t need = sl + 3 + (he - hs) + 1;
    if (need > cap) return hfc_fail(HFC_ERR_INVALID, "URL origin too long");
    size_t o = 0;
    for (size_t k = 0; k < sl; k++) out[o++] = (char)lower((unsigned char)url[k]);
    memcpy(out + o, "://", 3);
    o += 3;
    for (size_t k = hs; k < pe; k++) out[o++] = (char)lower((unsigned char)url[k]);
    out[o] = 0;
    return HFC_OK;
}

/* "x:..." before any '/', '?' or '#': a URL with a scheme (not http(s) here). */
static bool has_scheme(const char *loc, size_t n) {
    for (size_t k = 0; k < n; k++) {
        if (loc[k] == ':') return k > 0;
        if (loc[k] == '/' || loc[k] == '?' || loc[k] == '#') return false;
    }
    return false;
}

hfc_status hfc_hub_url_resolve(const char *base, const char *loc, size_t loclen, char **out) {
    while (loclen && is_ws(*loc)) loc++, loclen--;
    while (loclen && is_ws(loc[loclen - 1])) loclen--;
    if (loclen == 0) return hfc_fail(HFC_ERR_INVALID, "redirect with an empty Location");
    for (size_t k = 0; k < loclen; k++)
        if ((unsigned char)loc[k] < 0x20 || loc[k] == 0x7f)
            return hfc_fail(HFC_ERR_INVALID, "redirect Location holds a control byte");
    hfc_buf b = {0};
    hfc_status st;
    size_t sl, hs, he;
    if ((loclen >= 7 && strncasecmp(loc, "http://", 7) == 0) ||
        (loclen >= 8 && strncasecmp(loc, "https://", 8) == 0)) {
        st = hfc_buf_append(&b, loc, loclen);
    } else if (loclen >= 2 && loc[0] == '/' && loc[1] == '/') {
        if (!url_split(base, &sl, &hs, &he))
            return hfc_fail(HFC_ERR_INVALID, "cannot resolve redirect against '%.200s'", base);
        st = hfc_buf_append(&b, base, sl + 1);
        if (st == HFC_OK) st = hfc_buf_append(&b, loc, loclen);
    } else if (has_scheme(loc, loclen)) {
        return hfc_fail(HFC_ERR_INVALID, "redirect to a non-http URL: '%.*s'",
                        (int)(loclen > 200 ? 200 : loclen), loc);
    } else {
        if (!url_split(base, &sl, &hs, &he))
            return hfc_fail(HFC_ERR_INVALID, "cannot resolve redirect against '%.200s'", base);
        if (loc[0] == '/') {
            st = hfc_buf_append(&b, base, he);
        } else {
            /* relative: base up to its last '/' in the path (before ? or #) */
            size_t n = he + strcspn(base + he, "?#");
            size_t cut = he;
            for (size_t k = he; k < n; k++)
                if (base[k] == '/') cut = k + 1;
            st = hfc_buf_append(&b, base, cut);
            if (st == HFC_OK && cut == he) st = hfc_buf_putc(&b, '/');
        }
        if (st == HFC_OK) st = hfc_buf_append(&b, loc, loclen);
    }
    if (st == HFC_OK) { /* the result must have a host (origin is never longer than the URL) */
        char *origin = hfc_malloc(b.len + 1);
        if (!origin) st = hfc_fail(HFC_ERR_NOMEM, "url_resolve");
        else st = hfc_hub_url_origin(b.data, origin, b.len + 1);
        hfc_free(origin);
        if (st == HFC_ERR_INVALID) st = hfc_error_prefix(st, "redirect to an invalid URL: ");
    }
    if (st != HFC_OK) {
        hfc_buf_free(&b);
        return st;
    }
    *out = b.data;
    return HFC_OK;
}

hfc_status hfc_hub_check_relpath(const char *path, size_t len) {
    const char *why = NULL;
    if (len == 0) why = "empty path";
    else if (len > 4096) why = "path longer than 4096 bytes";
    else if (path[0] == '/') why = "absolute path";
    else if (memchr(path, '\\', len)) why = "backslash in path";
    else {
        for (size_t k = 0; k < len && !why; k++)
            if ((unsigned char)path[k] < 0x20 || path[k] == 0x7f) why = "control byte in path";
        size_t s = 0;
        while (!why && s <= len) {
            size_t e = s;
            while (e < len && path[e] != '/') e++;
            size_t n = e - s;
            if (n == 0) why = "empty path component";
            else if (n == 1 && path[s] == '.') why = "'.' path component";
            else if (n == 2 && path[s] == '.' && path[s + 1] == '.') why = "'..' path component";
            s = e + 1;
        }
    }
    if (why)
        return hfc_fail(HFC_ERR_INVALID, "refusing file path '%.*s' that escapes the repo folder (%s)",
                        (int)(len > 300 ? 300 : len), path, why);
    return HFC_OK;
}

/* ---- /tree listing ---- */

static char *json_strdup(const hfc_json_value *v) {
    return hfc_strndup(v->u.s, v->len);
}

void hfc_hub_tree_clear(hfc_hub_tree *t) {
    for (size_t i = 0; i < t->len; i++) {
        hfc_hub_tree_entry *e = &t->items[i];
        hfc_free(e->path);
        hfc_free(e->oid);
        hfc_free(e->lfs_oid);
        hfc_free(e->xet_hash);
    }
    hfc_free(t->items);
    memset(t, 0, sizeof *t);
}

static hfc_status tree_entry(const hfc_json_doc *doc, const hfc_json_value *o, size_t idx,
                             hfc_hub_tree_entry *e) {
    char path[64];
    snprintf(path, sizeof path, "$[%zu]", idx);
    if (o->type != HFC_JSON_OBJECT)
        return hfc_json_fail_at(doc, o, path, "tree entry must be an object, got %s",
                                hfc_json_type_name(o->type));
    const hfc_json_value *type = hfc_json_getz(o, "type");
    const hfc_json_value *p = hfc_json_getz(o, "path");
    const hfc_json_value *size = hfc_json_getz(o, "size");
    const hfc_json_value *oid = hfc_json_getz(o, "oid");
    const hfc_json_value *lfs = hfc_json_getz(o, "lfs");
    const hfc_json_value *xet = hfc_json_getz(o, "xetHash");
    if (!type || type->type != HFC_JSON_STRING)
        return hfc_json_fail_at(doc, type ? type : o, path, "tree entry needs a string \"type\"");
    if (!p || p->type != HFC_JSON_STRING)
        return hfc_json_fail_at(doc, p ? p : o, path, "tree entry needs a string \"path\"");
    e->is_dir = hfc_json_str_eq(type, "directory", 9);
    if (!e->is_dir && !hfc_json_str_eq(type, "file", 4))
        return hfc_json_fail_at(doc, type, path, "tree entry type must be \"file\" or \"directory\"");
    if (memchr(p->u.s, 0, p->len))
        return hfc_json_fail_at(doc, p, path, "NUL byte in tree path");
    HFC_TRY_CTX(hfc_hub_check_relpath(p->u.s, p->len), "%s.path: ", path);
    e->size = -1;
    e->lfs_size = -1;
    if (size && size->type != HFC_JSON_NULL) {
        if (size->type != HFC_JSON_INT || size->u.i < 0)
            return hfc_json_fail_at(doc, size, path, "\"size\" must be a non-negative integer");
        e->size = size->u.i;
    }
    if (oid && oid->type != HFC_JSON_NULL && oid->type != HFC_JSON_STRING)
        return hfc_json_fail_at(doc, oid, path, "\"oid\" must be a string");
    if (xet && xet->type != HFC_JSON_NULL && xet->type != HFC_JSON_STRING)
        return hfc_json_fail_at(doc, xet, path, "\"xetHash\" must be a string");
    const hfc_json_value *loid = NULL, *lsize = NULL;
    if (lfs && lfs->type != HFC_JSON_NULL) {
        if (lfs->type != HFC_JSON_OBJECT)
            return hfc_json_fail_at(doc, lfs, path, "\"lfs\" must be an object");
        loid = hfc_json_getz(lfs, "oid");
        lsize = hfc_json_getz(lfs, "size");
        if (!loid || loid->type != HFC_JSON_STRING)
            return hfc_json_fail_at(doc, loid ? loid : lfs, path, "\"lfs.oid\" must be a string");
        if (lsize && (lsize->type != HFC_JSON_INT || lsize->u.i < 0))
            return hfc_json_fail_at(doc, lsize, path, "\"lfs.size\" must be a non-negative integer");
        if (hfc_hub_check_relpath(loid->u.s, loid->len) != HFC_OK || memchr(loid->u.s, '/', loid->len))
            return hfc_json_fail_at(doc, loid, path, "\"lfs.oid\" is not a safe blob name");
    }
    if (oid && oid->type == HFC_JSON_STRING &&
        (hfc_hub_check_relpath(oid->u.s, oid->len) != HFC_OK || memchr(oid->u.s, '/', oid->len)))
        return hfc_json_fail_at(doc, oid, path, "\"oid\" is not a safe blob name");
    if (!(e->path = json_strdup(p))) return hfc_fail(HFC_ERR_NOMEM, "tree entry");
    if (oid && oid->type == HFC_JSON_STRING && !(e->oid = json_strdup(oid)))
        return hfc_fail(HFC_ERR_NOMEM, "tree entry");
    if (loid) {
        if (!(e->lfs_oid = json_strdup(loid))) return hfc_fail(HFC_ERR_NOMEM, "tree entry");
        e->lfs_size = lsize ? lsize->u.i : e->size;
    }
    if (xet && xet->type == HFC_JSON_STRING && !(e->xet_hash = json_strdup(xet)))
        return hfc_fail(HFC_ERR_NOMEM, "tree entry");
    return HFC_OK;
}

hfc_status hfc_hub_parse_tree(const char *json, size_t len, hfc_hub_tree *tree) {
    hfc_json_opts o = {.name = "tree listing", .allow_duplicate_keys = true};
    hfc_json_doc *doc;
    HFC_TRY(hfc_json_parse(json, len, &o, &doc));
    const hfc_json_value *root = hfc_json_root(doc);
    hfc_status st = HFC_OK;
    if (root->type != HFC_JSON_ARRAY) {
        st = hfc_json_fail_at(doc, root, "$", "tree listing must be an array, got %s",
                              hfc_json_type_name(root->type));
        goto done;
    }
    size_t base = tree->len;
    st = hfc_grow((void **)&tree->items, &tree->cap, base + root->len, sizeof *tree->items);
    if (st != HFC_OK) goto done;
    for (size_t i = 0; i < root->len; i++) {
        hfc_hub_tree_entry *e = &tree->items[tree->len];
        memset(e, 0, sizeof *e);
        tree->len++; /* owned now: cleared by hfc_hub_tree_clear even when incomplete */
        st = tree_entry(doc, &root->u.items[i], i, e);
        if (st != HFC_OK) break;
    }
done:
    hfc_json_free(doc);
    return st;
}
