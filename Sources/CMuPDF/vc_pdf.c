#include "vc_pdf.h"

#include <mupdf/fitz.h>
#include <stdlib.h>
#include <string.h>

struct vc_pdf {
    fz_context *ctx;
    fz_document *doc;
    int pages;
};

static void quiet(void *user, const char *message) {
    (void)user;
    (void)message; /* MuPDF warns on stderr about every repaired object; the caller reports what matters. */
}

static void report(int *status, int code, char *message, size_t capacity, const char *text) {
    if (status) *status = code;
    if (message && capacity > 0) {
        strncpy(message, text ? text : "unknown error", capacity - 1);
        message[capacity - 1] = '\0';
    }
}

vc_pdf *vc_pdf_open(const unsigned char *data, size_t length, int *status, char *message, size_t message_capacity) {
    fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    if (!ctx) {
        report(status, VC_PDF_CORRUPT, message, message_capacity, "MuPDF could not start (out of memory)");
        return NULL;
    }
    fz_set_warning_callback(ctx, quiet, NULL);
    fz_set_error_callback(ctx, quiet, NULL);
    fz_buffer *buffer = NULL;
    fz_stream *stream = NULL;
    fz_document *doc = NULL;
    int pages = 0;
    int code = VC_PDF_OK;
    fz_var(buffer);
    fz_var(stream);
    fz_var(doc);
    fz_try(ctx) {
        fz_register_document_handlers(ctx);
        buffer = fz_new_buffer_from_copied_data(ctx, data, length);
        stream = fz_open_buffer(ctx, buffer);
        doc = fz_open_document_with_stream(ctx, "application/pdf", stream);
        if (fz_needs_password(ctx, doc)) {
            code = VC_PDF_ENCRYPTED;
        } else {
            pages = fz_count_pages(ctx, doc);
        }
    }
    fz_always(ctx) {
        fz_drop_stream(ctx, stream);
        fz_drop_buffer(ctx, buffer);
    }
    fz_catch(ctx) {
        report(status, VC_PDF_CORRUPT, message, message_capacity, fz_caught_message(ctx));
        fz_drop_document(ctx, doc);
        fz_drop_context(ctx);
        return NULL;
    }
    if (code != VC_PDF_OK) {
        report(status, code, message, message_capacity, "the document is encrypted and needs a password");
        fz_drop_document(ctx, doc);
        fz_drop_context(ctx);
        return NULL;
    }
    vc_pdf *pdf = malloc(sizeof(vc_pdf));
    if (!pdf) {
        fz_drop_document(ctx, doc);
        fz_drop_context(ctx);
        report(status, VC_PDF_CORRUPT, message, message_capacity, "out of memory");
        return NULL;
    }
    pdf->ctx = ctx;
    pdf->doc = doc;
    pdf->pages = pages;
    if (status) *status = VC_PDF_OK;
    return pdf;
}

int vc_pdf_page_count(const vc_pdf *pdf) { return pdf ? pdf->pages : 0; }

char *vc_pdf_page_text(vc_pdf *pdf, int index, size_t *length, int *status, char *message, size_t message_capacity) {
    if (!pdf || index < 0 || index >= pdf->pages) {
        report(status, VC_PDF_PAGE_FAILED, message, message_capacity, "no such page");
        return NULL;
    }
    fz_context *ctx = pdf->ctx;
    fz_page *page = NULL;
    fz_stext_page *text = NULL;
    fz_buffer *buffer = NULL;
    char *result = NULL;
    fz_var(page);
    fz_var(text);
    fz_var(buffer);
    fz_var(result);
    fz_try(ctx) {
        page = fz_load_page(ctx, pdf->doc, index);
        fz_stext_options options = {0};
        text = fz_new_stext_page_from_page(ctx, page, &options);
        buffer = fz_new_buffer_from_stext_page(ctx, text);
        unsigned char *bytes = NULL;
        size_t count = fz_buffer_storage(ctx, buffer, &bytes);
        result = malloc(count + 1);
        if (!result) fz_throw(ctx, FZ_ERROR_GENERIC, "out of memory");
        if (count > 0) memcpy(result, bytes, count);
        result[count] = '\0';
        if (length) *length = count;
    }
    fz_always(ctx) {
        fz_drop_buffer(ctx, buffer);
        fz_drop_stext_page(ctx, text);
        fz_drop_page(ctx, page);
    }
    fz_catch(ctx) {
        free(result);
        report(status, VC_PDF_PAGE_FAILED, message, message_capacity, fz_caught_message(ctx));
        return NULL;
    }
    if (status) *status = VC_PDF_OK;
    return result;
}

void vc_pdf_free_text(char *text) { free(text); }

void vc_pdf_close(vc_pdf *pdf) {
    if (!pdf) return;
    fz_drop_document(pdf->ctx, pdf->doc);
    fz_drop_context(pdf->ctx);
    free(pdf);
}
