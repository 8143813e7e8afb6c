/* hfc core: everything a binding or a test needs. No Python, no NumPy. */
#ifndef HFC_HFC_H
#define HFC_HFC_H

#include "status.h"
#include "alloc.h"
#include "json.h"
#include "mmap.h"
#include "pool.h"
#include "cpu.h"

#define HFC_VERSION "0.1.0"

#endif /* HFC_HFC_H */
