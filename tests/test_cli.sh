#!/usr/bin/env bash
# The mnlp command line, end to end: usage, `mnlp info` on the bundled
# model, one-line errors on malformed files, and a fake Hugging Face cache.
# usage: test_cli.sh MNLP_BINARY SOURCE_DIR TOKENIZER_FIXTURES ST_COMPARE REF_CASES
#        MODEL_FIXTURES
set -u
mnlp=$1
src=$2
fixtures=$3
st_compare=$4
ref_cases=$5
models=$6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   cli.$1"; }
bad() { failed=$((failed + 1)); echo "FAIL cli.$1: $2"; }

# expect NAME STATUS PATTERN -- CMD...: exit status and a grep pattern on stdout+stderr.
expect() {
    local name=$1 status=$2 pattern=$3
    shift 4
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" != "$status" ]; then
        bad "$name" "exit $rc, expected $status; output: $out"
    elif ! grep -qE -- "$pattern" <<<"$out"; then
        bad "$name" "output lacks /$pattern/: $out"
    else
        ok "$name"
    fi
}

# A safetensors file: 8-byte little-endian header length, header, N data bytes.
safetensors() {
    local header=$1 ndata=$2 out=$3 len=${#1} i
    for i in 0 1 2 3 4 5 6 7; do
        printf "\\x$(printf %02x $(((len >> (8 * i)) & 255)))"
    done >"$out"
    printf '%s' "$header" >>"$out"
    head -c "$ndata" /dev/zero >>"$out"
}

# --- usage ---------------------------------------------------------------
expect version 0 '^mnlp [0-9]+\.[0-9]+\.[0-9]+$' -- "$mnlp" --version
expect help 0 'info +where a model is' -- "$mnlp" --help
expect help_info 0 'usage: mnlp info MODEL' -- "$mnlp" help info
expect help_unknown 2 'no command "nope"' -- "$mnlp" help nope
expect no_command 2 'usage: mnlp COMMAND' -- "$mnlp"
expect unknown_option 2 'unknown option --frobnicate' -- "$mnlp" info --frobnicate x
expect no_model 2 'no MODEL given' -- "$mnlp" info

# --- the bundled model ---------------------------------------------------
out=$("$mnlp" info "$src/models/stories260K")
rc=$?
if [ $rc = 0 ] && grep -q '^architecture  LlamaForCausalLM (model_type llama, LlamaConfig)$' <<<"$out" &&
    grep -q '^dtype         F32$' <<<"$out" && grep -q '^parameters    260,032$' <<<"$out" &&
    grep -q '^validation    valid$' <<<"$out" && grep -q '^found         local folder$' <<<"$out"; then
    ok info_stories260K
else
    bad info_stories260K "exit $rc: $out"
fi
n=$("$mnlp" info -v "$src/models/stories260K" | grep -c '^  model\.')
[ "$n" = 47 ] && ok info_verbose_lists_tensors || bad info_verbose_lists_tensors "$n tensor lines"

# --- tokenize / detokenize on the bundled model ----------------------------
# Expected ids and text come from the reference tokenizer cases.
case=$(grep -m1 '"text": "Once upon a time"' "$src/tests/fixtures/stories260K/tokenizer_cases.jsonl")
want_ids=$(sed -E 's/.*"fast_ids": \[([^]]*)\].*/\1/' <<<"$case" | tr -d ' ')
want_text=$(sed -E 's/.*"fast_decoded": ("[^"]*").*/\1/' <<<"$case")
want_plain=${want_ids#*,}
expect tokenize 0 "^\{\"ids\":\[$want_ids\],\"tokens\":\[\"<s>\",.*\"offsets\":\[\[0,0\]," -- \
    bash -c "printf '\"Once upon a time\"\\n' | '$mnlp' tokenize '$src/models/stories260K'"
expect tokenize_no_special 0 "^\{\"ids\":\[$want_plain\]" -- \
    bash -c "printf '\"Once upon a time\"\\n' | '$mnlp' tokenize --no-special-tokens '$src/models/stories260K'"
expect detokenize 0 "^$want_text\$" -- \
    bash -c "printf '[$want_ids]\\n' | '$mnlp' detokenize --skip-special-tokens '$src/models/stories260K'"
expect detokenize_special 0 '^"<s>' -- \
    bash -c "printf '[$want_ids]\\n' | '$mnlp' detokenize '$src/models/stories260K'"
expect tokenize_invalid_utf8 1 'stdin line 2, column 3: invalid UTF-8' -- \
    bash -c "printf '\"ok\"\\n\"a\\xffb\"\\n' | '$mnlp' tokenize '$src/models/stories260K'"
expect detokenize_not_ids 1 'element 1 is not a token id' -- \
    bash -c "printf '[1, \"x\"]\\n' | '$mnlp' detokenize '$src/models/stories260K'"

# A malformed tokenizer.json: the message names the file and the JSON path.
dir="$tmp/badtok"
mkdir -p "$dir"
sed 's/"type": "Replace"/"type": "Nope"/' "$src/models/stories260K/tokenizer.json" >"$dir/tokenizer.json"
expect tokenizer_bad_type 1 'tokenizer.json: normalizer.normalizers\[1\].type: unknown normalizer type "Nope"' -- \
    bash -c "printf '\"x\"\\n' | '$mnlp' tokenize '$dir'"
tr -d '\n' <"$src/models/stories260K/tokenizer.json" | sed -E 's/"merges": *\[ *\[ *"[^"]*", *"[^"]*" *\]/"merges": [7/' >"$dir/tokenizer.json"
expect tokenizer_bad_merge 1 'tokenizer.json: model.merges\[0\]: merge is not a pair of strings' -- \
    bash -c "printf '\"x\"\\n' | '$mnlp' tokenize '$dir'"

# --- chat-template on a fixture tokenizer ----------------------------------
# Case 2 of llama-3's renders (expected text written by jinja2), and qwen3's
# case 27, where the template raises.
line=$(sed -n 2p "$fixtures/llama-3/chat_expected.jsonl")
sed -E 's/^\{"input": (.*), "output": .*$/\1/' <<<"$line" >"$tmp/chat_in.json"
printf '%b' "$(sed -E 's/.*"output": "(.*)"\}$/\1/' <<<"$line")" >"$tmp/chat_want.txt"
if "$mnlp" chat-template "$fixtures/llama-3" --date 2024-07-26 <"$tmp/chat_in.json" \
    >"$tmp/chat_got.txt" && cmp -s "$tmp/chat_got.txt" "$tmp/chat_want.txt"; then
    ok chat_template
else
    bad chat_template "output differs from chat_expected.jsonl line 2"
fi
line=$(sed -n 27p "$fixtures/qwen3/chat_expected.jsonl")
want=$(sed -E 's/.*"error": "(.*)"\}$/\1/' <<<"$line")
expect chat_template_raises 1 "^mnlp: error: $want\$" -- \
    bash -c "sed -E 's/^\\{\"input\": (.*), \"error\": .*\$/\\1/' <<<'$line' | '$mnlp' chat-template '$fixtures/qwen3'"
expect chat_template_none 1 'the model has no chat template' -- \
    bash -c "echo '{\"messages\": []}' | '$mnlp' chat-template '$src/models/stories260K'"
expect chat_template_bad_date 2 'is not YYYY-MM-DD' -- \
    "$mnlp" chat-template "$src/models/stories260K" --date 2024-13-01

# --- run: the bundled model's stories -----------------------------------------
# Each case: full_text of the named case (the n-th "full_text" of reference.json,
# cases being in order), as transformers generated and decoded it, against
# `mnlp run` with the flags of the case's kwargs.
story_case() {
    local name=$1 nth=$2
    shift 2
    grep '"full_text": ' "$src/tests/fixtures/stories260K/reference.json" | sed -n "${nth}p" |
        sed -E 's/^ *"full_text": "(.*)",?$/\1/' >"$tmp/case.json"
    printf '%b\n' "$(sed 's/\\"/"/g' "$tmp/case.json")" >"$tmp/case_want.txt"
    if "$mnlp" run "$src/models/stories260K" "$@" >"$tmp/case_got.txt" &&
        [ -s "$tmp/case_want.txt" ] && cmp -s "$tmp/case_got.txt" "$tmp/case_want.txt"; then
        ok "run_$name"
    else
        bad "run_$name" "output differs from reference.json $name full_text"
    fi
}
story_case story 1 "Once upon a time"
cp "$tmp/case_want.txt" "$tmp/story_want.txt"
story_case beam4_64 6 "Once upon a time" --num-beams 4 --max-new-tokens 64
story_case repetition_penalty 7 "Once upon a time" --max-new-tokens 100 \
    --repetition-penalty 1.3 --no-repeat-ngram-size 3
# A stop string ends the story with the token that completes it.
head -n 1 "$tmp/story_want.txt" | sed 's/mom\..*/mom./' >"$tmp/stop_want.txt"
if "$mnlp" run "$src/models/stories260K" "Once upon a time" --stop-string "mom." \
    >"$tmp/stop_got.txt" && cmp -s "$tmp/stop_got.txt" "$tmp/stop_want.txt"; then
    ok run_stop_string
else
    bad run_stop_string "[$(cat "$tmp/stop_got.txt")] vs [$(cat "$tmp/stop_want.txt")]"
fi
# Sampling with a seed repeats itself.
a=$("$mnlp" run "$src/models/stories260K" "Once" --do-sample --top-k 40 --seed 5 2>&1)
b=$("$mnlp" run "$src/models/stories260K" "Once" --do-sample --top-k 40 --seed 5 2>&1)
c=$("$mnlp" run "$src/models/stories260K" "Once" --do-sample --top-k 40 --seed 6 2>&1)
if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ]; then ok run_seed; else
    bad run_seed "seed 5 twice: [$a] [$b]; seed 6: [$c]"; fi
expect run_no_prompt 2 'no PROMPT given' -- "$mnlp" run "$src/models/stories260K"
expect run_bad_count 2 'max-new-tokens needs a value of its type' -- \
    "$mnlp" run "$src/models/stories260K" hi --max-new-tokens x
expect run_extra_arg 2 'unexpected argument c' -- "$mnlp" run "$src/models/stories260K" a c

# --- forward: the bundled model's logits and hidden states ------------------
# Inputs and float64 references from reference.json; its stated tolerance
# (atol 1e-4, rtol 1e-4) for the float32 computation.
ref="$src/tests/fixtures/stories260K/reference.safetensors"
if "$mnlp" forward "$src/models/stories260K" --input "$ref" --output "$tmp/fwd.safetensors" &&
    "$st_compare" "$tmp/fwd.safetensors" "$ref" 1e-4 1e-4 logits hidden_states.0 \
        hidden_states.3 hidden_states.5; then
    ok forward
else
    bad forward "outputs differ from reference.safetensors"
fi
expect forward_no_output 2 'both --input and --output are needed' -- \
    "$mnlp" forward "$src/models/stories260K" --input "$ref"
expect forward_no_ids 1 'no tensor "input_ids"' -- \
    "$mnlp" forward "$src/models/stories260K" --input "$tmp/fwd.safetensors" --output "$tmp/x"

# --- chat: the bundled model given a chat template ---------------------------
dir="$tmp/chatmodel"
mkdir -p "$dir"
cp "$src/models/stories260K/"{config.json,generation_config.json,model.safetensors} "$dir/"
cp "$src/models/stories260K/"{tokenizer.json,tokenizer.model,special_tokens_map.json} "$dir/"
sed '1s/^{/{"chat_template": "{% for m in messages %}{{ m.content }} {% endfor %}",/' \
    "$src/models/stories260K/tokenizer_config.json" >"$dir/tokenizer_config.json"
one=$(echo "Once upon a time" | "$mnlp" chat "$dir" --max-new-tokens 24 2>&1)
want=$("$mnlp" run "$dir" "Once upon a time" --chat --max-new-tokens 24 2>&1)
if [ -n "$one" ] && [ "$one" = "$want" ]; then ok chat_one_turn; else
    bad chat_one_turn "chat [$one], run --chat [$want]"; fi
two=$(printf 'Once upon a time\nThe end\n' | "$mnlp" chat "$dir" --max-new-tokens 12 2>&1)
if [ "$(printf '%s\n' "$two" | wc -l)" = 2 ]; then ok chat_two_turns; else
    bad chat_two_turns "expected two answers: [$two]"; fi
expect chat_no_template 1 'the model has no chat template' -- \
    bash -c "echo hi | '$mnlp' chat '$src/models/stories260K'"

# --- generate: every generation case of reference.json, as JSON lines ------
# (greedy, sampling-free processors, beams, eos, left-padded batches).
gen_cases() {
    local name=$1 model=$2 ref=$3
    if "$ref_cases" "$ref" "$tmp/gen_req.jsonl" "$tmp/gen_want.jsonl" &&
        "$mnlp" generate "$model" <"$tmp/gen_req.jsonl" >"$tmp/gen_got.jsonl" &&
        cmp -s "$tmp/gen_got.jsonl" "$tmp/gen_want.jsonl"; then
        ok "generate_$name"
    else
        bad "generate_$name" "sequences differ from $ref: $(diff "$tmp/gen_got.jsonl" \
            "$tmp/gen_want.jsonl" | head -c 300)"
    fi
}
gen_cases stories260K "$src/models/stories260K" "$src/tests/fixtures/stories260K/reference.json"
for m in llama llama-rope-dynamic mistral qwen2 gemma gemma2 phi3-longrope gpt2 opt-350m-like \
    gpt_neox phi mixtral qwen2_moe-normtopk; do
    gen_cases "$m" "$models/$m" "$models/$m/reference.json"
done
expect generate_unknown_kwarg 1 'stdin line 1: "bogus" is not a generation parameter' -- \
    bash -c "echo '{\"input_ids\": [[1, 2]], \"bogus\": 1}' | '$mnlp' generate '$src/models/stories260K'"
expect generate_no_ids 1 'input_ids \(\[\[ids...\]\]\) is missing' -- \
    bash -c "echo '{\"max_new_tokens\": 1}' | '$mnlp' generate '$src/models/stories260K'"

# --- malformed checkpoints: one line on stderr, exit 1 --------------------
entry='{"dtype":"F32","shape":[2],"data_offsets":'
malformed() {
    local name=$1 header=$2 ndata=$3 pattern=$4 dir="$tmp/$1" err rc
    mkdir -p "$dir"
    cp "$src/models/stories260K/config.json" "$dir/"
    safetensors "$header" "$ndata" "$dir/model.safetensors"
    err=$("$mnlp" info "$dir" 2>&1 >/dev/null)
    rc=$?
    if [ $rc != 1 ]; then
        bad "malformed_$name" "exit $rc"
    elif [ "$(wc -l <<<"$err")" != 1 ] || ! grep -qE -- "^mnlp: error: $pattern" <<<"$err"; then
        bad "malformed_$name" "stderr: $err"
    else
        ok "malformed_$name"
    fi
}
malformed truncated "{\"a\":${entry}[0,8]}}" 4 'model.safetensors: tensor "a": data_offsets \[0, 8\) run past'
malformed overlapping "{\"a\":${entry}[0,8]},\"b\":${entry}[4,12]}}" 12 'model.safetensors: tensor "b": data_offsets \[4, 12\) overlap "a"'
malformed lying_shape "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}" 8 'model.safetensors: tensor "a": shape \[3\] of F32 is 12 bytes'
malformed unknown_dtype "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}" 8 'model.safetensors: tensor "a": unknown dtype "Q4"'
malformed non_utf8_name "{\"$(printf '\xc3\x28')\":${entry}[0,8]}}" 8 'model.safetensors: header: line 1, column 3: invalid UTF-8'
malformed duplicate "{\"a\":${entry}[0,8]},\"a\":${entry}[8,16]}}" 16 'model.safetensors: tensor "a" appears twice'
dir="$tmp/giant"
mkdir -p "$dir"
cp "$src/models/stories260K/config.json" "$dir/"
printf '\xff\xff\xff\xff\xff\xff\xff\x7f{}' >"$dir/model.safetensors"
expect malformed_giant_header 1 '^mnlp: error: model.safetensors: header length 9223372036854775807 exceeds the limit' -- "$mnlp" info "$dir"
printf '\x10\x00' >"$dir/model.safetensors"
expect malformed_tiny_file 1 'model.safetensors: file is 2 bytes, too short' -- "$mnlp" info "$dir"

# --- a model mnlp can read but not run: problems listed, exit 1 -----------
dir="$tmp/wrong"
mkdir -p "$dir"
cp "$src/models/stories260K/model.safetensors" "$dir/"
sed 's/"num_hidden_layers": 5/"num_hidden_layers": 6/' "$src/models/stories260K/config.json" >"$dir/config.json"
expect invalid_model_lists_problems 1 'missing tensor "model.layers.5.mlp.down_proj.weight" \[64, 172\]' -- "$mnlp" info "$dir"
expect run_invalid_model 1 'missing tensor "model.layers.5.self_attn.q_proj.weight" \[64, 64\] \(and 8 more problems\)' -- \
    "$mnlp" run "$dir" "Once"
sed 's/"model_type": "llama"/"model_type": "llama9"/' "$src/models/stories260K/config.json" >"$dir/config.json"
expect run_unknown_model_type 1 'llama9' -- "$mnlp" run "$dir" "Once"

# --- a fake Hugging Face cache --------------------------------------------
main=0123456789abcdef0123456789abcdef01234567
v1=89abcdef0123456789abcdef0123456789abcdef
repo="$tmp/hf/hub/models--org--name"
mkdir -p "$repo/refs" "$repo/blobs" "$repo/snapshots/$main" "$repo/snapshots/$v1"
printf '%s' $main >"$repo/refs/main"
printf '%s' $v1 >"$repo/refs/v1"
for f in config.json model.safetensors; do
    # The hub stores files as blobs named by hash; snapshots hold symlinks.
    cp "$src/models/stories260K/$f" "$repo/blobs/$f.blob"
    ln -s "../../blobs/$f.blob" "$repo/snapshots/$main/$f"
done
cp "$src/models/stories260K/model.safetensors" "$repo/snapshots/$v1/"
sed 's/"num_hidden_layers": 5/"num_hidden_layers": 4/' "$src/models/stories260K/config.json" >"$repo/snapshots/$v1/config.json"
expect hub_cache_main 0 "found         Hugging Face cache .*: org/name, revision main, commit $main" -- env HF_HUB_CACHE="$tmp/hf/hub" "$mnlp" info org/name
expect hub_home_main 0 'validation    valid' -- env -u HF_HUB_CACHE HF_HOME="$tmp/hf" "$mnlp" info org/name
expect hub_revision 1 "unexpected tensor \"model.layers.4.mlp.down_proj.weight\"" -- env HF_HUB_CACHE="$tmp/hf/hub" "$mnlp" info org/name --revision v1
expect hub_missing_revision 1 'revision "v9" is not in the cache' -- env HF_HUB_CACHE="$tmp/hf/hub" "$mnlp" info org/name --revision=v9
expect hub_missing_repo 1 'org/other is not a folder, and not in the Hugging Face cache' -- env HF_HUB_CACHE="$tmp/hf/hub" "$mnlp" info org/other

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
