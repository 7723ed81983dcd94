/*
 * mnlp: Hugging Face Transformers and Diffusers models, run natively.
 *
 * Point mnlp at a model folder or a repo id in the local Hugging Face cache
 * exactly as published, and it reads the same files transformers reads.
 *
 *   mnlp/base.h    status codes, errors, logging, allocation, threads
 *   mnlp/tensor.h  element types
 *   mnlp/io.h      locating a model; config.json; safetensors checkpoints
 *   mnlp/model.h   validating a model against its architecture
 *   mnlp/lm.h      causal language models: forward, KV cache, generation
 *   mnlp/tokenizer.h  tokenizer.json: encode and decode
 *   mnlp/json.h    reading JSON (ids, messages, arguments)
 *   mnlp/template.h  chat templates: Jinja rendered as transformers does
 */
#ifndef MNLP_H
#define MNLP_H

#include "mnlp/base.h"
#include "mnlp/io.h"
#include "mnlp/json.h"
#include "mnlp/lm.h"
#include "mnlp/model.h"
#include "mnlp/template.h"
#include "mnlp/tensor.h"
#include "mnlp/tokenizer.h"

#endif
