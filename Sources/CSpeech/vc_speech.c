#include "vc_speech.h"

#include <espeak-ng/speak_lib.h>
#include <pocketsphinx.h>
#include <stdlib.h>
#include <string.h>

static int vc_tts_rate = 0;

/* Collects the synthesised samples of one call; espeak_Synth hands it back through the event's user_data. */
typedef struct {
    short *samples;
    size_t count;
    size_t capacity;
    int failed;
} vc_tts_buffer;

static int vc_tts_collect(short *wav, int count, espeak_EVENT *events) {
    if (wav == NULL || count <= 0 || events == NULL) return 0;
    vc_tts_buffer *buffer = (vc_tts_buffer *)events->user_data;
    if (buffer == NULL || buffer->failed) return 1;
    if (buffer->count + (size_t)count > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity * 2 : 65536;
        while (capacity < buffer->count + (size_t)count) capacity *= 2;
        short *grown = realloc(buffer->samples, capacity * sizeof(short));
        if (grown == NULL) {
            buffer->failed = 1;
            return 1;
        }
        buffer->samples = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->samples + buffer->count, wav, (size_t)count * sizeof(short));
    buffer->count += (size_t)count;
    return 0;
}

int vc_tts_open(const char *data_path) {
    if (vc_tts_rate > 0) return vc_tts_rate;
    int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, espeakINITIALIZE_DONT_EXIT);
    if (rate <= 0) return -1;
    espeak_SetSynthCallback(vc_tts_collect);
    vc_tts_rate = rate;
    return rate;
}

int vc_tts_synthesize(const char *voice, const char *text, int words_per_minute, short **samples, size_t *count) {
    *samples = NULL;
    *count = 0;
    if (espeak_SetVoiceByName(voice) != EE_OK) return 1;
    espeak_SetParameter(espeakRATE, words_per_minute, 0);
    vc_tts_buffer buffer = {NULL, 0, 0, 0};
    espeak_ERROR status =
        espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, &buffer);
    if (status == EE_OK) status = espeak_Synchronize();
    if (buffer.failed) {
        free(buffer.samples);
        return 3;
    }
    if (status != EE_OK) {
        free(buffer.samples);
        return 2;
    }
    *samples = buffer.samples;
    *count = buffer.count;
    return 0;
}

void vc_tts_free(short *samples) { free(samples); }

struct vc_asr {
    ps_decoder_t *decoder;
};

vc_asr *vc_asr_open(const char *acoustic_model, const char *language_model, const char *dictionary) {
    /* Batch normalisation and no noise tracking: both would otherwise carry over from one utterance to the next, so
       what one user said would change what the server hears from another. */
    cmd_ln_t *config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", acoustic_model, "-lm", language_model, "-dict",
                                   dictionary, "-cmn", "batch", "-remove_noise", "no", "-logfn", "/dev/null", NULL);
    if (config == NULL) return NULL;
    ps_decoder_t *decoder = ps_init(config);
    cmd_ln_free_r(config);
    if (decoder == NULL) return NULL;
    vc_asr *asr = malloc(sizeof(vc_asr));
    if (asr == NULL) {
        ps_free(decoder);
        return NULL;
    }
    asr->decoder = decoder;
    return asr;
}

int vc_asr_decode(vc_asr *asr, const short *samples, size_t count, char *text, size_t capacity) {
    if (capacity == 0) return -1;
    text[0] = 0;
    if (ps_start_utt(asr->decoder) < 0) return -1;
    /* The whole utterance in one call (full_utt): cepstral mean normalisation is then computed over this utterance
       alone, so a result does not depend on what the decoder heard before. */
    if (ps_process_raw(asr->decoder, samples, count, FALSE, TRUE) < 0) {
        ps_end_utt(asr->decoder);
        return -1;
    }
    if (ps_end_utt(asr->decoder) < 0) return -1;
    int32 score = 0;
    const char *hypothesis = ps_get_hyp(asr->decoder, &score);
    if (hypothesis == NULL) return 0;
    size_t length = strlen(hypothesis);
    if (length >= capacity) length = capacity - 1;
    memcpy(text, hypothesis, length);
    text[length] = 0;
    return (int)length;
}

void vc_asr_close(vc_asr *asr) {
    if (asr == NULL) return;
    ps_free(asr->decoder);
    free(asr);
}
