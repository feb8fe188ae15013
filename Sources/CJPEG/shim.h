// libjpeg(-turbo) for AMPSModel. libjpeg reports fatal errors through error_exit, which must not
// return; the usual answer is setjmp/longjmp, which cannot cross Swift frames. So the whole decode
// runs here in C: error_exit longjmps back into amps_jpeg_decode (never through Swift) and the
// message comes back as a string.
#ifndef AMPS_CJPEG_SHIM_H
#define AMPS_CJPEG_SHIM_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/// A decoded JPEG: `components` bytes a pixel, row-major. 1 = grey, 3 = RGB, 4 = CMYK exactly as
/// stored (libjpeg does not undo Adobe's inversion). `pixels` is malloc'd: free it with
/// amps_jpeg_free. On failure `pixels` is NULL and `message` says why.
typedef struct {
    int width;
    int height;
    int components;
    int saw_adobe_marker;
    unsigned char *pixels;
    char message[JMSG_LENGTH_MAX + 32];
} amps_jpeg_image;

struct amps_jpeg_error_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void amps_jpeg_error_exit(j_common_ptr cinfo) {
    struct amps_jpeg_error_mgr *err = (struct amps_jpeg_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

// Warnings (level -1) are ignored as Pillow ignores them, except running out of data: libjpeg would
// pad a truncated file with grey, where Pillow refuses it ("image file is truncated").
static void amps_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        struct amps_jpeg_error_mgr *err = (struct amps_jpeg_error_mgr *)cinfo->err;
        (*cinfo->err->format_message)(cinfo, err->message);
        strncat(err->message, " (the file is truncated)", JMSG_LENGTH_MAX - strlen(err->message) - 1);
        longjmp(err->jump, 1);
    }
}

// A progressive file may hold any number of scans, each a pass over the whole image: past
// this many the file is refused (libjpeg-turbo's tools use the same guard, -maxscans).
#define AMPS_JPEG_MAX_SCANS 500
// libjpeg's working memory (coefficient buffers of progressive files, above all); with no
// backing store it fails cleanly past this instead of growing without end.
#define AMPS_JPEG_MAX_MEMORY (1024L * 1024L * 1024L)

static void amps_jpeg_progress(j_common_ptr cinfo) {
    if (cinfo->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        if (d->input_scan_number > AMPS_JPEG_MAX_SCANS) {
            struct amps_jpeg_error_mgr *err = (struct amps_jpeg_error_mgr *)cinfo->err;
            snprintf(err->message, sizeof(err->message), "more than %d scans (a progressive file built to exhaust the decoder)", AMPS_JPEG_MAX_SCANS);
            longjmp(err->jump, 1);
        }
    }
}

static void amps_jpeg_free(amps_jpeg_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}

/// Decodes `size` bytes. Returns 1 on success, 0 with image->message set on failure.
/// Grey stays grey, CMYK/YCCK come out as CMYK, everything else as RGB; images of more than
/// `max_pixels` pixels are refused before decoding.
static int amps_jpeg_decode(const unsigned char *data, unsigned long size, long max_pixels, amps_jpeg_image *image) {
    struct jpeg_decompress_struct cinfo;
    struct amps_jpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    unsigned char *volatile pixels = NULL;
    volatile int created = 0;

    memset(image, 0, sizeof(*image));
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = amps_jpeg_error_exit;
    err.pub.emit_message = amps_jpeg_emit_message;
    err.message[0] = 0;
    if (setjmp(err.jump)) {
        if (created) jpeg_destroy_decompress(&cinfo);
        free(pixels);
        snprintf(image->message, sizeof(image->message), "%s", err.message[0] ? err.message : "libjpeg failed");
        return 0;
    }
    jpeg_create_decompress(&cinfo);
    created = 1;
    cinfo.mem->max_memory_to_use = AMPS_JPEG_MAX_MEMORY;
    progress.progress_monitor = amps_jpeg_progress;
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    // The size from the frame header (SOF), checked before jpeg_start_decompress: for a
    // progressive file that call reads every scan into whole-image coefficient buffers.
    long hw = (long)cinfo.image_width, hh = (long)cinfo.image_height;
    if (hw <= 0 || hh <= 0 || hw * hh > max_pixels) {
        snprintf(err.message, sizeof(err.message), "image size %ldx%ld is above the limit of %ld pixels", hw, hh, max_pixels);
        longjmp(err.jump, 1);
    }
    int components;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo.out_color_space = JCS_GRAYSCALE;
        components = 1;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK;
        components = 4;
        break;
    default:
        cinfo.out_color_space = JCS_RGB;
        components = 3;
        break;
    }
    jpeg_start_decompress(&cinfo);
    long w = (long)cinfo.output_width, h = (long)cinfo.output_height;
    if (w <= 0 || h <= 0 || w * h > max_pixels || (int)cinfo.output_components != components) {
        snprintf(err.message, sizeof(err.message), "unusable size %ldx%ld or %d components", w, h, (int)cinfo.output_components);
        longjmp(err.jump, 1);
    }
    pixels = (unsigned char *)malloc((size_t)(w * h * components));
    if (!pixels) {
        snprintf(err.message, sizeof(err.message), "out of memory for %ldx%ld pixels", w, h);
        longjmp(err.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * (size_t)(w * components);
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    image->width = (int)w;
    image->height = (int)h;
    image->components = components;
    image->saw_adobe_marker = cinfo.saw_Adobe_marker;
    image->pixels = pixels;
    jpeg_destroy_decompress(&cinfo);
    return 1;
}

#endif
