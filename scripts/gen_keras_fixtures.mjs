/**
 * Writes test/fixtures/keras.json: small TensorFlow.js LayersModels with
 * seeded random weights, each as its model.json (the file `model.save`
 * writes, weightsManifest included) and its weight bytes (base64), with a
 * fixed input and what `model.predict` gave for it (float32).
 *
 * TensorFlow.js is not a dependency of the project: it is installed apart,
 * with the benchmark peers (`npm run bench:peers`), and resolved from
 * bench/peers/node_modules. Run: node scripts/gen_keras_fixtures.mjs
 *
 * TensorFlow.js cannot build a GRU with reset_after=true (Keras's default
 * since 2.3, what tensorflowjs_converter writes for such models): that case
 * takes a tfjs GRU's model.json with reset_after set and its bias made
 * (2, 3H), and its outputs from `kerasGRUResetAfter` below, Keras's own
 * equations on Keras's layouts in float64.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url);
const tf = createRequire(new URL('bench/peers/package.json', root))('@tensorflow/tfjs');

let seed = 1;
const uniform = (shape, lo = -0.6, hi = 0.6) => tf.randomUniform(shape, lo, hi, 'float32', seed++);

/** Every weight of the model drawn from U(−0.6, 0.6), each with its own seed. */
function seedWeights(model) {
  model.setWeights(model.weights.map((w) => uniform(w.shape)));
}

/** model.json and the weight bytes, as `model.save` writes them to files. */
async function artefacts(model) {
  let saved;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const modelJson = {
    modelTopology: saved.modelTopology,
    format: saved.format,
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: saved.weightSpecs }],
  };
  return { modelJson, weights: Buffer.from(saved.weightData).toString('base64') };
}

const B = 2;
const T = 5;
const F = 3;
const sigmoidGates = { recurrentActivation: 'sigmoid' };

const cases = [
  {
    name: 'lstm_last_dense',
    input: 'features',
    layers: () => [
      tf.layers.lstm({ units: 4, inputShape: [T, F], ...sigmoidGates }),
      tf.layers.dense({ units: 2 }),
    ],
  },
  {
    name: 'gru_sequences_dense_tanh',
    input: 'features',
    layers: () => [
      tf.layers.gru({ units: 4, inputShape: [T, F], returnSequences: true, ...sigmoidGates }),
      tf.layers.dense({ units: 3, activation: 'tanh' }),
    ],
  },
  {
    name: 'simple_rnn_relu_tanh_sigmoid',
    input: 'features',
    layers: () => [
      tf.layers.simpleRNN({ units: 4, inputShape: [T, F], activation: 'relu', returnSequences: true }),
      tf.layers.simpleRNN({ units: 3 }),
      tf.layers.dense({ units: 2, activation: 'sigmoid' }),
    ],
  },
  {
    name: 'embedding_bilstm_softmax',
    input: 'ids',
    vocabulary: 7,
    layers: () => [
      tf.layers.embedding({ inputDim: 7, outputDim: 4, inputLength: T }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, ...sigmoidGates }), mergeMode: 'concat' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  },
  {
    name: 'bigru_sequences_relu_dense',
    input: 'features',
    layers: () => [
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true, ...sigmoidGates }), mergeMode: 'concat', inputShape: [T, F] }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.dense({ units: 2, useBias: false }),
    ],
  },
  {
    name: 'bi_simple_rnn_last',
    input: 'features',
    layers: () => [
      tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 2 }), mergeMode: 'concat', inputShape: [T, F] }),
      tf.layers.dense({ units: 1 }),
    ],
  },
];

const models = [];
for (const c of cases) {
  const model = tf.sequential({ layers: c.layers() });
  seedWeights(model);
  const input = c.input === 'ids'
    ? tf.floor(uniform([B, T], 0, c.vocabulary))
    : uniform([B, T, F], -1, 1);
  const output = model.predict(input);
  models.push({
    name: c.name,
    ...(await artefacts(model)),
    input: { shape: input.shape, data: Array.from(input.dataSync()) },
    output: { shape: output.shape, data: Array.from(output.dataSync()) },
  });
}

/**
 * Keras's GRUCell with reset_after=True (keras/layers/recurrent.py), gates
 * z, r, h in column blocks of the kernels, bias (2, 3H) = [input; recurrent]:
 *   [x_z x_r x_h] = x·kernel + b_in,  [h_z h_r h_h] = h₋·recurrent_kernel + b_rec
 *   z = σ(x_z + h_z),  r = σ(x_r + h_r),  ĥ = tanh(x_h + r ⊙ h_h),  h = z ⊙ h₋ + (1 − z) ⊙ ĥ
 * over (B, T, F); returns the final h (B, H).
 */
function kerasGRUResetAfter(x, [B, T, F], kernel, recurrent, bias, H) {
  const sigmoid = (v) => 1 / (1 + Math.exp(-v));
  const out = [];
  for (let b = 0; b < B; b++) {
    let h = new Array(H).fill(0);
    for (let t = 0; t < T; t++) {
      const xs = new Array(3 * H).fill(0).map((_, c) => bias[c] + Array.from({ length: F }, (_, f) => x[(b * T + t) * F + f] * kernel[f * 3 * H + c]).reduce((a, v) => a + v, 0));
      const hs = new Array(3 * H).fill(0).map((_, c) => bias[3 * H + c] + h.reduce((a, v, k) => a + v * recurrent[k * 3 * H + c], 0));
      h = h.map((prev, u) => {
        const z = sigmoid(xs[u] + hs[u]);
        const r = sigmoid(xs[H + u] + hs[H + u]);
        const candidate = Math.tanh(xs[2 * H + u] + r * hs[2 * H + u]);
        return z * prev + (1 - z) * candidate;
      });
    }
    out.push(...h);
  }
  return out;
}

{
  const H = 3;
  const model = tf.sequential({ layers: [tf.layers.gru({ units: H, inputShape: [T, F], ...sigmoidGates })] });
  const kernel = uniform([F, 3 * H]);
  const recurrent = uniform([H, 3 * H]);
  const bias = uniform([2, 3 * H]);
  model.setWeights([kernel, recurrent, uniform([3 * H])]);
  const { modelJson } = await artefacts(model);
  modelJson.modelTopology.config.layers[0].config.reset_after = true;
  modelJson.weightsManifest[0].weights[2].shape = [2, 3 * H];
  const weightData = Buffer.concat([kernel, recurrent, bias].map((w) => Buffer.from(w.dataSync().buffer)));
  const input = uniform([B, T, F], -1, 1);
  const x = Array.from(input.dataSync());
  const output = kerasGRUResetAfter(x, [B, T, F], kernel.dataSync(), recurrent.dataSync(), bias.dataSync(), H);
  models.push({
    name: 'gru_reset_after_keras_equations',
    modelJson,
    weights: weightData.toString('base64'),
    input: { shape: [B, T, F], data: x },
    output: { shape: [B, H], data: output },
  });
}

const path = new URL('test/fixtures/keras.json', root);
writeFileSync(path, `${JSON.stringify({ generatedBy: `TensorFlow.js ${tf.version.tfjs}`, models })}\n`);
console.log(`wrote ${models.length} models to ${path.pathname}`);
