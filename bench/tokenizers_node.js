// The Hugging Face `tokenizers` library (its Node binding, native Rust code),
// measured the way bench_tokenizer measures mnlp: load time, then every corpus
// line encoded with special tokens, repeatedly, for SECONDS. Single-threaded
// when run with RAYON_NUM_THREADS=1 (encodeBatch is the binding's only
// synchronous-cost path; one batch holds the whole corpus).
// usage: node tokenizers_node.js CORPUS.jsonl TOKENIZER.json [SECONDS]
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [corpusPath, tokPath, secondsArg] = process.argv.slice(2);
  const seconds = Number(secondsArg || 2);
  const texts = fs.readFileSync(corpusPath, 'utf8').split('\n').filter((l) => l).map(JSON.parse);
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);

  let t0 = process.hrtime.bigint();
  const tok = Tokenizer.fromFile(tokPath);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;

  let passes = 0;
  let tokens = 0;
  t0 = process.hrtime.bigint();
  let elapsed = 0;
  do {
    const encodings = await tok.encodeBatch(texts, { addSpecialTokens: true });
    if (passes === 0) tokens = encodings.reduce((n, e) => n + e.getIds().length, 0);
    passes++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < seconds);
  console.log(`${loadMs.toFixed(1)} ${(bytes * passes / elapsed / 1e6).toFixed(2)} ${tokens}`);
}

main();
