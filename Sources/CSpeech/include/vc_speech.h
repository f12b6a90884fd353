#ifndef VC_SPEECH_H
#define VC_SPEECH_H

#include <stddef.h>

/* A small C face over the offline speech engines VividCrowd uses: espeak-ng (synthesis) and pocketsphinx
   (recognition). Both have variadic or callback-based C APIs Swift cannot call directly. espeak-ng keeps global
   state, so its callers must serialise every call (the Swift side does, in one actor). */

/* Starts espeak-ng with its voices from `data_path` (NULL: the library's default). Returns the sample rate of the
   audio it makes (22050), or a negative value when the voice data cannot be found. Safe to call again. */
int vc_tts_open(const char *data_path);

/* Synthesises UTF-8 `text` with voice `voice` ("en-us", "cmn", …) at `words_per_minute`, as 16-bit mono samples at
   the rate vc_tts_open returned. On success returns 0 and a buffer the caller frees with vc_tts_free. Returns 1 for
   an unknown voice, 2 when synthesis fails, 3 when out of memory. */
int vc_tts_synthesize(const char *voice, const char *text, int words_per_minute, short **samples, size_t *count);

void vc_tts_free(short *samples);

typedef struct vc_asr vc_asr;

/* Loads a pocketsphinx decoder: acoustic model folder, language model and pronunciation dictionary. NULL when any
   cannot be loaded. Logging goes nowhere. One decoder serves one call at a time. */
vc_asr *vc_asr_open(const char *acoustic_model, const char *language_model, const char *dictionary);

/* Decodes 16 kHz 16-bit mono `samples` into `text` (NUL-terminated, at most `capacity` bytes). Returns the length
   of the text, or -1 when decoding fails. An utterance with no speech gives an empty text. */
int vc_asr_decode(vc_asr *asr, const short *samples, size_t count, char *text, size_t capacity);

void vc_asr_close(vc_asr *asr);

#endif
