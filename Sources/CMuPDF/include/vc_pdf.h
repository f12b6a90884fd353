#ifndef VC_PDF_H
#define VC_PDF_H

#include <stddef.h>

/* A small C face over MuPDF for VividCrowd: MuPDF reports errors by longjmp (fz_try / fz_catch), which Swift cannot
   call across, so every call that can fail is wrapped here and reports a code and a message instead. */

typedef struct vc_pdf vc_pdf;

enum vc_pdf_status {
    VC_PDF_OK = 0,
    /* Not a PDF MuPDF can read, or damaged beyond repair. */
    VC_PDF_CORRUPT = 1,
    /* Needs a password. */
    VC_PDF_ENCRYPTED = 2,
    /* A page that cannot be read (a truncated file, a broken content stream). */
    VC_PDF_PAGE_FAILED = 3,
};

/* Opens a PDF from a copy of `data`. NULL on failure, with `*status` and `message` (NUL-terminated) set. */
vc_pdf *vc_pdf_open(const unsigned char *data, size_t length, int *status, char *message, size_t message_capacity);

/* Pages of the document. */
int vc_pdf_page_count(const vc_pdf *pdf);

/* The text of page `index` (0-based) in reading order, as UTF-8 the caller frees with vc_pdf_free_text; lines end
   with "\n" and blocks are separated by an empty line. NULL on failure, with `*status` and `message` set. */
char *vc_pdf_page_text(vc_pdf *pdf, int index, size_t *length, int *status, char *message, size_t message_capacity);

void vc_pdf_free_text(char *text);

void vc_pdf_close(vc_pdf *pdf);

#endif
