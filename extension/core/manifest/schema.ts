/**
 * The schema of `mobileai.yaml` (JSON Schema draft-07). It drives validation (ajv), completion of keys
 * and enum values, and the documentation shown on hover, so every key carries a description.
 */
export type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  enum?: Array<string | number | boolean>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  minItems?: number;
  minLength?: number;
  default?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  /** Where a reference points: completion offers these names, go-to-definition follows them. */
  'x-ref'?: 'targets' | 'models' | 'searches' | 'agents' | 'llms';
  /** A path in the workspace (checked to exist). */
  'x-file'?: 'file' | 'dir' | 'any';
  examples?: unknown[];
};

const NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
const PKG = '^[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)+$';

const target: JsonSchema = {
  type: 'object',
  description: 'A phone: by `serial`, or by `match`ing its properties; its latency table and its profiling runner.',
  additionalProperties: false,
  properties: {
    serial: { type: 'string', minLength: 1, description: 'The adb serial (`adb devices`), e.g. `R58M123ABC` or `127.0.0.1:6520` for the virtual phone. Completion offers the phones connected now. A TCP serial changes with the port: `match` follows the phone instead.' },
    match: {
      type: 'object', additionalProperties: false, description: 'The phone by what it is rather than by its serial, so the manifest keeps working when the serial changes (a TCP port, another unit): every given property must match (case-insensitive); the first ready phone in adb\'s order that matches is used. `serial`, when also given, wins. E.g. `match: { model: "Pixel 8" }` or `match: { soc: SM8550 }`.',
      properties: {
        model: { type: 'string', description: '`ro.product.model`, e.g. `Pixel 8`.' },
        manufacturer: { type: 'string', description: '`ro.product.manufacturer`, e.g. `Google`.' },
        soc: { type: 'string', description: 'The SoC label (`ro.soc.model` or `ro.board.platform`), e.g. `SM8550`.' },
        abi: { type: 'string', enum: ['arm64-v8a', 'armeabi-v7a', 'x86_64', 'x86'], description: 'An ABI the phone supports.' },
      },
    },
    table: { type: 'string', minLength: 1, 'x-file': 'any', description: 'Latency table for architecture search: a `mobileai.latency-table/1` JSON file, a CSV, or a folder of Once-for-All `*_lookup_table.yaml` files (one per resolution).' },
    runner: {
      type: 'object', additionalProperties: false, description: 'Benchmark runners built for this phone (profiling on the phone).',
      properties: {
        ort: { type: 'string', 'x-file': 'file', description: '`onnxruntime_perf_test` built for Android.' },
        tflite: { type: 'string', 'x-file': 'file', description: 'TFLite `benchmark_model` built for Android.' },
      },
    },
  },
};

const quantize: JsonSchema = {
  type: 'object',
  description: 'How **Quantize** treats this model (the recipe): the mode and its parameters.',
  additionalProperties: false,
  required: ['mode'],
  properties: {
    mode: { type: 'string', enum: ['static', 'dynamic', 'int4'], description: '`static`: int8 QDQ, calibrated (CNNs, transformers). `dynamic`: int8 MatMul/Gemm weights, activations quantized at run time. `int4`: weight-only 4-bit MatMulNBits (LLMs).' },
    method: { type: 'string', enum: ['minmax', 'percentile', 'entropy'], default: 'minmax', description: 'Calibration method for static mode: MinMax, Percentile (see `percentile`) or Entropy (KL).' },
    percentile: { type: 'number', exclusiveMinimum: 50, maximum: 100, default: 99.999, description: 'For `method: percentile`: the percentile of |x| kept (above 50, at most 100).' },
    perChannel: { type: 'boolean', default: false, description: 'Per-channel weight scales (Conv axis 0, ConvTranspose axis 1, MatMul axis 1).' },
    u8s8: { type: 'boolean', default: false, description: 'uint8 activations with int8 weights (U8S8) instead of S8S8.' },
    reduceRange: { type: 'boolean', default: false, description: '7-bit weights, for older x86 CPUs without VNNI (U8S8 only).' },
    symmetricActivations: { type: 'boolean', default: false, description: 'Symmetric activation ranges (zero point 0).' },
    asymmetricWeights: { type: 'boolean', default: false, description: 'Asymmetric weight ranges (weights are symmetric by default).' },
    calibration: { type: 'string', 'x-file': 'any', description: 'Calibration data: a folder of `.npy`/`.pb` tensors or images, or an `.npz` file. Without it, random inputs are used (a poor choice; the report says so).' },
    preprocess: { type: 'string', description: 'For image folders: `resize=224x224,layout=nchw,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,scale=1/255,channels=rgb`.' },
    random: { type: 'integer', minimum: 1, maximum: 10000, description: 'Number of random calibration samples when no `calibration` is given.' },
    blockSize: { type: 'integer', enum: [16, 32, 64, 128, 256], default: 32, description: 'For `int4`: block size along K, a power of two from 16 to 256.' },
    int4Asymmetric: { type: 'boolean', default: false, description: 'For `int4`: asymmetric blocks (with zero points).' },
    exclude: { type: 'array', items: { type: 'string' }, description: 'Node names kept in float.' },
    excludeOps: { type: 'array', items: { type: 'string' }, description: 'Op types kept in float (completion offers the model\'s op types).' },
    keepFirstLast: { type: 'boolean', default: false, description: 'Keep the first and the last quantizable layers in float.' },
    output: { type: 'string', description: 'Where the quantized model goes (a new file; never overwritten). Default: next to the model, `NAME.int8.onnx`.' },
  },
};

const deploy: JsonSchema = {
  type: 'object',
  description: 'What **Deploy** does for this model: where on the phone, and what then.',
  additionalProperties: false,
  properties: {
    target: { type: 'string', 'x-ref': 'targets', description: 'The target (under `targets:`) to deploy to. Default: the model\'s `target`.' },
    to: { type: 'string', pattern: '^/', default: '/data/local/tmp/mobileai/deploy', description: 'Folder on the phone (absolute).' },
    files: { type: 'array', items: { type: 'string', 'x-file': 'file' }, description: 'Extra files pushed with the model (labels, tokenizer…).' },
    apk: { type: 'string', 'x-file': 'file', description: 'An APK installed with `pm install -r`.' },
    launch: { type: 'string', pattern: `${PKG.slice(0, -1)}/\\.?[A-Za-z0-9_.$]+$`, description: 'Activity started afterwards, `package/.Activity`.' },
  },
};

const profile: JsonSchema = {
  type: 'object',
  description: 'How **Profile** runs this model.',
  additionalProperties: false,
  properties: {
    target: { type: 'string', 'x-ref': 'targets', description: 'Profile on this target\'s phone; without it, on this machine.' },
    runs: { type: 'integer', minimum: 1, maximum: 100000, default: 20, description: 'Measured runs (after the warm-up).' },
    warmup: { type: 'integer', minimum: 0, maximum: 10000, default: 3, description: 'Warm-up runs (not measured).' },
    optimization: { type: 'string', enum: ['all', 'extended', 'basic', 'disabled'], default: 'all', description: 'ONNX Runtime graph optimization: `all` fuses kernels; `disabled` maps 1:1 to the file\'s nodes.' },
  },
};

export const MANIFEST_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Mobile AI Studio project manifest.',
  additionalProperties: false,
  properties: {
    version: { type: 'integer', enum: [1], description: 'Manifest format version: `1`.' },
    targets: { type: 'object', description: 'Phones this project runs on, by name.', propertyNames: { pattern: NAME }, additionalProperties: target },
    models: {
      type: 'object', description: 'Models, by name: the file, its inputs, how it is quantized, profiled and deployed.', propertyNames: { pattern: NAME },
      additionalProperties: {
        type: 'object', additionalProperties: false, required: ['path'], description: 'A model.',
        properties: {
          path: { type: 'string', minLength: 1, 'x-file': 'file', description: 'The model file (`.onnx`), relative to this manifest.' },
          target: { type: 'string', 'x-ref': 'targets', description: 'The phone this model is for (the default for `deploy` and `profile`).' },
          inputs: {
            type: 'object',
            description: 'The shapes and values the model runs at (profile, quantize, summary and the editor use them). Each key is an input or a symbolic dimension: `batch: 1` (a dimension), `x: 1x3x640x640` (an input\'s whole shape, unnamed dimensions included), `sr: 16000` or `sr: { value: 16000 }` (a scalar input\'s value), `x: { shape: 1x3x640x640, value: 0.5 }` (a tensor filled with one value), `mask: { file: mask.npy }` (data from a .npy/.pb file).',
            additionalProperties: {
              oneOf: [
                { type: 'number', description: 'The value of a symbolic dimension (a positive integer), or of a scalar input.' },
                { type: 'string', pattern: '^\\s*(\\[\\s*\\]|scalar|\\d+(\\s*[x×,]\\s*\\d+)*)\\s*$', description: 'An input\'s whole shape: `1x3x640x640` (`[]` for a scalar).' },
                { type: 'array', items: { type: 'integer', minimum: 0 }, description: 'An input\'s whole shape as a list: `[1, 3, 640, 640]`.' },
                {
                  type: 'object', additionalProperties: false, description: 'An input: its shape, a value, or a data file.',
                  properties: {
                    shape: { type: ['string', 'array'], description: 'The input\'s whole shape: `1x3x640x640` or `[1, 3, 640, 640]`.' },
                    value: { type: ['number', 'array', 'boolean'], description: 'One number fills the tensor (a scalar input such as a sample rate: `16000`); a list gives its elements.' },
                    file: { type: 'string', 'x-file': 'file', description: 'A `.npy` or `.pb` (TensorProto) file holding the input.' },
                  },
                },
              ],
            },
          },
          quantize,
          deploy,
          profile,
        },
      },
    },
    searches: {
      type: 'object', description: 'Architecture searches, by name.', propertyNames: { pattern: NAME },
      additionalProperties: {
        type: 'object', additionalProperties: false, required: ['target', 'budgetMs'], description: 'A hardware-aware architecture search.',
        properties: {
          space: { type: 'string', default: 'ofa-mbv3', description: '`ofa-mbv3` (Once-for-All MobileNetV3), `fbnet` (22 layers × 9 blocks), or a space file (`mobileai.space/1` JSON).', examples: ['ofa-mbv3', 'fbnet'] },
          target: { type: 'string', 'x-ref': 'targets', description: 'The target whose latency `table` the search uses.' },
          targets: { type: 'array', items: { type: 'string', 'x-ref': 'targets' }, minItems: 1, description: 'More phones: the search runs for `target` and each of these (each with its own table and the same budget) and compares their best architectures.' },
          budgetMs: { type: 'number', exclusiveMinimum: 0, description: 'Latency budget in milliseconds on the target. Hover shows the range the table allows.' },
          algorithm: { type: 'string', enum: ['evolution', 'front', 'nsga2', 'random', 'evolution-classic'], default: 'evolution', description: '`evolution`: the best under the budget (children repaired into it); `front`: the latency-accuracy front; `nsga2`: NSGA-II; `random`: the baseline; `evolution-classic`: the Once-for-All tutorial\'s.' },
          evaluations: { type: 'integer', minimum: 1, maximum: 10000000, default: 5000, description: 'Architectures evaluated.' },
          seed: { type: 'integer', minimum: 0, default: 0, description: 'Random seed: the same seed gives the same result.' },
          soft: { type: 'boolean', default: false, description: 'MnasNet\'s soft latency constraint instead of a hard budget.' },
          blocks: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Layered spaces only (`fbnet` or a space file): the candidate blocks allowed, e.g. `k3_e3`, `k5_e6`, `skip`. Completion offers the blocks the target\'s latency table has.' },
          predictor: { type: 'string', description: 'Accuracy estimator: Once-for-All predictor weights (JSON), a JSON table, an ONNX model, or `naswot` (a zero-cost proxy, labelled as such).' },
        },
      },
    },
    agents: {
      type: 'object', description: 'LLM agents that drive phone apps, by name.', propertyNames: { pattern: NAME },
      additionalProperties: {
        type: 'object', additionalProperties: false, required: ['target'], description: 'An agent: where it runs, which model drives it, its limits.',
        properties: {
          target: { type: 'string', 'x-ref': 'targets', description: 'The phone the agent drives.' },
          task: { type: 'string', minLength: 1, description: 'The task for **Run agent** (or give `tasks`).' },
          tasks: { type: 'string', 'x-file': 'file', description: 'A task set (YAML) for **Evaluate**.' },
          endpoint: { type: 'string', pattern: '^https?://', description: 'OpenAI-compatible base URL (OpenAI, Ollama `http://127.0.0.1:11434/v1`, llama.cpp…). The key is never written here: **Set Agent API Key**.' },
          model: { type: 'string', minLength: 1, description: 'Model name at the endpoint.' },
          maxSteps: { type: 'integer', minimum: 1, maximum: 1000, default: 20, description: 'Step limit.' },
          allow: { type: 'array', items: { type: 'string', pattern: PKG }, description: 'Packages the agent may act on; an action on any other package is refused.' },
          vision: { type: 'boolean', default: true, description: 'Send the screenshot to the model, not only the element list.' },
        },
      },
    },
    llms: {
      type: 'object', description: 'LLM benchmarks on phones, by name: the model, its runner, the prompt and generated lengths (P, D) and repetitions. **Benchmark** runs one and opens the LLM panel.', propertyNames: { pattern: NAME },
      additionalProperties: {
        type: 'object', additionalProperties: false, required: ['model'], description: 'An LLM benchmark: prefill and decode rates, time to first token, memory, energy per token and temperature.',
        properties: {
          model: { type: 'string', minLength: 1, 'x-file': 'any', description: 'The model: an ONNX decoder with past key/value inputs (`.onnx`, our runner), a `.gguf` (llama.cpp llama-bench), a `.litertlm` (LiteRT-LM), or an onnxruntime-genai model folder (model_benchmark).' },
          target: { type: 'string', 'x-ref': 'targets', description: 'The phone to measure on. Without it, on this machine (ONNX decoders only).' },
          runner: { type: 'string', enum: ['onnx', 'llama-bench', 'genai', 'litert-lm'], description: '`onnx`: our decoder runner (onnxruntime_perf_test on the phone; the virtual phone runs onnxruntime-node on the host CPU). `llama-bench`, `genai` (model_benchmark), `litert-lm` (`--benchmark`). Default: from the model\'s file type.' },
          runnerPath: { type: 'string', 'x-file': 'any', description: 'The runner built for the phone: onnxruntime_perf_test, a llama.cpp folder with `bin/llama-bench` and `lib/`, model_benchmark, or litert_lm_main. Default: the `mobileAI.llm.*Path` settings, then the target\'s `runner.ort` for `onnx`.' },
          promptTokens: { type: 'integer', minimum: 1, maximum: 32768, default: 32, description: 'P: prompt tokens of the prefill measurement.' },
          genTokens: { type: 'integer', minimum: 1, maximum: 32768, default: 32, description: 'D: tokens generated in the decode measurement.' },
          repetitions: { type: 'integer', minimum: 1, maximum: 100, default: 3, description: 'Measured repetitions (with a cool-down between them on a phone).' },
          threads: { type: 'integer', minimum: 1, maximum: 64, description: 'CPU threads of the runner. Default: the runner\'s own choice.' },
          sampleHz: { type: 'number', minimum: 1, maximum: 10, default: 5, description: 'How often the phone is sampled during the run (battery current and voltage, temperatures, thermal status, CPU frequencies), 4–10 Hz is usual.' },
          unplug: { type: 'boolean', default: false, description: 'Run `dumpsys battery unplug` for the run (USB charging distorts the battery gauge, so energy per token) and `dumpsys battery reset` after, always.' },
        },
      },
    },
  },
};

/** The schema node at a path of keys (names under maps with additionalProperties), or undefined. */
export function schemaAt(path: Array<string | number>, root: JsonSchema = MANIFEST_SCHEMA): JsonSchema | undefined {
  let s: JsonSchema | undefined = root;
  for (const k of path) {
    if (!s) return undefined;
    if (typeof k === 'number') s = s.items;
    else if (s.properties?.[k]) s = s.properties[k];
    else if (s.additionalProperties && typeof s.additionalProperties === 'object') s = s.additionalProperties;
    else return undefined;
  }
  return s;
}
