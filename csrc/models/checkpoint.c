/* A checkpoint: one safetensors file or the shards of model.safetensors.index.json. */
#include "hfc/safetensors.h"
#include "hfc/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct hfc_st_checkpoint {
    hfc_st_file **files;
    size_t nfiles;
    char *index; /* path of model.safetensors.index.json, or NULL for one file */
};

static int is_file(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISREG(s.st_mode);
}

static int is_dir(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

static char *join(const char *dir, const char *name, size_t nlen) {
    size_t dl = strlen(dir);
    char *p = hfc_malloc(dl + nlen + 2);
    if (!p) return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nlen);
    p[dl + 1 + nlen] = '\0';
    return p;
}

static hfc_status add_file(hfc_st_checkpoint *c, const char *path) {
    hfc_st_file *f = NULL;
    HFC_TRY(hfc_st_open(path, &f));
    hfc_st_file **grown = hfc_realloc(c->files, (c->nfiles + 1) * sizeof *grown);
    if (!grown) {
        hfc_st_free(f);
        return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", path);
    }
    c->files = grown;
    c->files[c->nfiles++] = f;
    return HFC_OK;
}

/* Open each distinct shard of the weight map, then check the map against them. */
static hfc_status open_index(hfc_st_checkpoint *c, const char *index) {
    hfc_json_doc *doc = NULL;
    if (!(c->index = hfc_strndup(index, strlen(index))))
        return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", index);
    HFC_TRY(hfc_json_parse_file(index, NULL, &doc));
    hfc_status st = HFC_OK;
    const hfc_json_value *map = hfc_json_getz(hfc_json_root(doc), "weight_map");
    char *dir = hfc_strndup(index, strlen(index));
    if (!dir) {
        hfc_json_free(doc);
        return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", index);
    }
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else strcpy(dir, ".");
    if (!map || map->type != HFC_JSON_OBJECT) {
        st = hfc_json_fail_at(doc, map, "$.weight_map", "expected an object of tensor -> shard");
        goto done;
    }
    for (uint32_t i = 0; i < map->len && st == HFC_OK; i++) {
        const hfc_json_value *shard = &map->u.members[i].value;
        if (shard->type != HFC_JSON_STRING || !shard->len ||
            memchr(shard->u.s, '/', shard->len) || memchr(shard->u.s, '\0', shard->len)) {
            st = hfc_json_fail_at(doc, shard, "$.weight_map", "bad shard file name");
            break;
        }
        int seen = 0;
        for (uint32_t j = 0; j < i && !seen; j++) seen = hfc_json_str_eq(&map->u.members[j].value, shard->u.s, shard->len);
        if (seen) continue;
        char *p = join(dir, shard->u.s, shard->len);
        if (!p) {
            st = hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", index);
            break;
        }
        st = add_file(c, p);
        hfc_free(p);
    }
    /* every mapped tensor is in its shard, and every shard tensor is mapped */
    size_t total = 0;
    for (uint32_t i = 0; i < map->len && st == HFC_OK; i++) {
        const hfc_json_member *m = &map->u.members[i];
        const hfc_st_tensor *t = hfc_st_checkpoint_find(c, m->key.u.s, m->key.len);
        const char *file = t ? hfc_st_checkpoint_file_of(c, t) : NULL;
        const char *base = file ? strrchr(file, '/') : NULL;
        base = base ? base + 1 : file;
        if (!t || strlen(base) != m->value.len || memcmp(base, m->value.u.s, m->value.len) != 0)
            st = hfc_fail(HFC_ERR_INVALID, "%s: tensor '%.*s' is mapped to %.*s, which does not hold it",
                          index, (int)(m->key.len < 200 ? m->key.len : 200), m->key.u.s,
                          (int)(m->value.len < 200 ? m->value.len : 200), m->value.u.s);
    }
    for (size_t i = 0; i < c->nfiles && st == HFC_OK; i++) total += hfc_st_count(c->files[i]);
    if (st == HFC_OK && total != map->len)
        st = hfc_fail(HFC_ERR_INVALID, "%s: the shards hold %zu tensors but the weight_map lists %u "
                      "(a tensor is unlisted or in two shards)", index, total, map->len);
done:
    hfc_free(dir);
    hfc_json_free(doc);
    return st;
}

static hfc_status open_dir(hfc_st_checkpoint *c, const char *dir) {
    static const char *const tried[] = {"model.safetensors", "model.safetensors.index.json"};
    for (int i = 0; i < 2; i++) {
        char *p = join(dir, tried[i], strlen(tried[i]));
        if (!p) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", dir);
        int found = is_file(p);
        hfc_status st = !found ? HFC_OK : i == 0 ? add_file(c, p) : open_index(c, p);
        hfc_free(p);
        if (found) return st;
    }
    static const char *const pickles[] = {"pytorch_model.bin", "pytorch_model.bin.index.json",
                                          "tf_model.h5", "flax_model.msgpack"};
    for (int i = 0; i < 4; i++) {
        char *p = join(dir, pickles[i], strlen(pickles[i]));
        if (!p) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", dir);
        int found = is_file(p);
        hfc_free(p);
        if (found)
            return hfc_fail(HFC_ERR_UNSUPPORTED,
                            "%s: only safetensors checkpoints are read, and this folder has %s "
                            "(convert it: transformers' save_pretrained(..., "
                            "safe_serialization=True) writes model.safetensors)",
                            dir, pickles[i]);
    }
    return hfc_fail_errno(ENOENT, "%s: no model.safetensors or "
                          "model.safetensors.index.json", dir);
}

hfc_status hfc_st_checkpoint_open(const char *path, hfc_st_checkpoint **out) {
    *out = NULL;
    hfc_st_checkpoint *c = hfc_calloc(1, sizeof *c);
    if (!c) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", path);
    size_t n = strlen(path);
    hfc_status st;
    if (is_dir(path)) st = open_dir(c, path);
    else if (n > 5 && strcmp(path + n - 5, ".json") == 0) st = open_index(c, path);
    else st = add_file(c, path);
    if (st != HFC_OK) {
        hfc_st_checkpoint_free(c);
        return st;
    }
    *out = c;
    return HFC_OK;
}

void hfc_st_checkpoint_free(hfc_st_checkpoint *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nfiles; i++) hfc_st_free(c->files[i]);
    hfc_free(c->files);
    hfc_free(c->index);
    hfc_free(c);
}

const char *hfc_st_checkpoint_index(const hfc_st_checkpoint *c) { return c->index; }

const hfc_st_tensor *hfc_st_checkpoint_find(const hfc_st_checkpoint *c, const char *name,
                                            size_t len) {
    for (size_t i = 0; i < c->nfiles; i++) {
        const hfc_st_tensor *t = hfc_st_find(c->files[i], name, len);
        if (t) return t;
    }
    return NULL;
}

const char *hfc_st_checkpoint_file_of(const hfc_st_checkpoint *c, const hfc_st_tensor *t) {
    for (size_t i = 0; i < c->nfiles; i++) {
        size_t n = hfc_st_count(c->files[i]);
        if (n && t >= hfc_st_at(c->files[i], 0) && t <= hfc_st_at(c->files[i], n - 1))
            return hfc_st_name(c->files[i]);
    }
    return NULL;
}

size_t hfc_st_checkpoint_files(const hfc_st_checkpoint *c) { return c->nfiles; }
const hfc_st_file *hfc_st_checkpoint_file(const hfc_st_checkpoint *c, size_t i) { return c->files[i]; }

size_t hfc_st_checkpoint_data_size(const hfc_st_checkpoint *c) {
    size_t total = 0;
    for (size_t i = 0; i < c->nfiles; i++) {
        size_t n = hfc_st_count(c->files[i]);
        if (n) total += hfc_st_at(c->files[i], n - 1)->end;
    }
    return total;
}
