/* Private to csrc/datasets: pieces shared by the reader, the writer and the fast paths. */
#ifndef HFC_ARROW_INTERNAL_H
#define HFC_ARROW_INTERNAL_H
#include "hfc/arrow.h"

/* A dictionary id of the schema, its field, and the values of its latest batch. */
struct hfc_arrow_dict {
    int64_t id;
    const hfc_arrow_field *field;
    const hfc_arrow_array *values;
};

#endif
