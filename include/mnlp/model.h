/*
 * Checking a model before running it: does mnlp know its architecture,
 * understand every config field, and find every tensor it needs with the
 * right shape and nothing else?
 */
#ifndef MNLP_MODEL_H
#define MNLP_MODEL_H

#include "mnlp/io.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mnlp_report mnlp_report;

/*
 * Validate config against checkpoint. Problems (a model_type without an
 * architecture, a config value mnlp cannot run, a missing, mis-shaped or
 * unexpected tensor) are listed in *out, one line each, naming the field
 * or tensor. Notes are facts worth seeing that do not stop the model: a
 * config field its config class does not define (transformers keeps it
 * as an attribute no model code reads), an ignored buffer in the
 * checkpoint. The call itself fails only when out of memory. The caller
 * frees *out with mnlp_report_free.
 */
mnlp_status mnlp_model_validate(const mnlp_config *config, const mnlp_checkpoint *ckpt,
                                mnlp_report **out);

/* Number of problems (0: valid), and the i-th (owned by the report). */
size_t mnlp_report_count(const mnlp_report *report);
const char *mnlp_report_item(const mnlp_report *report, size_t i);

/* Number of notes, and the i-th (owned by the report). */
size_t mnlp_report_note_count(const mnlp_report *report);
const char *mnlp_report_note(const mnlp_report *report, size_t i);
void mnlp_report_free(mnlp_report *report);

#ifdef __cplusplus
}
#endif

#endif
